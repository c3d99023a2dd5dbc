"""perscom-oauth: an OAuth 2.0 authorization server for multi-tenant Django dashboards."""
