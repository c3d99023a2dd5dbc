"""Integrations with other libraries, each optional: ``rest_framework`` (DRF), ``mcp`` (an MCP
server built with the official ``mcp`` SDK, per organization).

Owns: ``rest_framework``'s authentication class (a bearer token, checked by
``tokens.check.check_access_token``), ``ScopePermissions`` (scopes required per view and method,
from ``scopes.effective``), its exception handler (RFC 6750 §3 challenges) and its OpenAPI
extension for drf-spectacular; ``mcp``'s token verifier (through ``tokens.check``), RFC 9728
document and tool scopes.

Must not: check a token or a scope itself (it asks ``tokens.check`` and ``scopes.effective``);
be imported by the security core or by the models (import-linter's contracts).
"""
