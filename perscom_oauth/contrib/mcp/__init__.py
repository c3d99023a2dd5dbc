"""Protect an MCP server (the official ``mcp`` SDK, ``pip install perscom-oauth[mcp]``) with this
package's tokens, per organization: ``ProtectedMCP`` serves an ``MCPServer`` over streamable HTTP,
each tool behind the scopes it needs (``docs/mcp.md``).

Owns: ``verifier`` (the SDK's ``TokenVerifier``, answered by ``tokens.check``, with the MCP
endpoint's URL as the one audience accepted) and ``app`` (the RFC 9728 document, challenges and
scope checks of each request, per host).

Must not: decide what a token may do (``tokens.check`` and ``scopes.effective`` do; a tool's
scopes are compared with its effective scopes, as DRF's ``ScopePermissions`` does); call the ORM
from the event loop (``run_in_django``); be imported by the security core or ``server``.
"""

from .app import ProtectedMCP, token
from .verifier import MCPResource, OrganizationAccessToken, OrganizationTokenVerifier, run_in_django

__all__ = [
    "MCPResource",
    "OrganizationAccessToken",
    "OrganizationTokenVerifier",
    "ProtectedMCP",
    "run_in_django",
    "token",
]
