"""Integrations with other libraries, each optional: ``rest_framework`` (DRF).

Owns: ``rest_framework``'s authentication class (a bearer token, checked by
``tokens.check.check_access_token``), ``ScopePermissions`` (scopes required per view and method,
from ``scopes.effective``), its exception handler (RFC 6750 §3 challenges) and its OpenAPI
extension for drf-spectacular.

Must not: check a token or a scope itself (it asks ``tokens.check`` and ``scopes.effective``);
be imported by the security core or by the models (import-linter's contracts).
"""
