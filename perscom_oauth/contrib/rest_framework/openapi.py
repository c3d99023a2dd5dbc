"""drf-spectacular: the OAuth 2.0 security scheme of the organization, and scopes per operation.

Imported by ``PerscomOAuthConfig.ready()`` when drf-spectacular is installed: defining the
extension class is what registers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from ...scopes.registry import registry
from .permissions import ScopePermissions

if TYPE_CHECKING:
    from django.http import HttpRequest
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.request import Request
    from rest_framework.views import APIView

SCHEME_NAME = "oauth2"


def endpoint_url(request: HttpRequest | Request | None, name: str) -> str:
    """The endpoint on the host that asked for the schema: that host is the organization.

    drf-spectacular's mock request keeps the original request's ``HTTP_*`` headers (Host and
    proxy headers included); without a request (``manage.py spectacular``) there is no Host,
    and a relative URL is the honest answer (OpenAPI 3 resolves it against the server URL).
    """
    path = reverse(f"oauth2_provider:{name}")
    if request is None or "HTTP_HOST" not in request.META:
        return path
    return str(request.build_absolute_uri(path))


def required_scopes(view: APIView, request: Request) -> list[str]:
    """What ``ScopePermissions`` would require of this view and method: the scopes of every
    ``ScopePermissions`` among the view's permissions (all must pass), in order."""
    scopes: list[str] = []
    for permission in view.get_permissions():
        if not isinstance(permission, ScopePermissions):
            continue
        try:
            found = permission.get_required_scopes(request, view)
        except ImproperlyConfigured as exc:
            # A schema of every other operation is still worth serving; the request itself
            # would fail the same way, and this warning says why.
            warn(str(exc))
            continue
        scopes.extend(scope for scope in found if scope not in scopes)
    return scopes


class OAuth2Scheme(OpenApiAuthenticationExtension):
    """The authorization code flow (RFC 6749 §4.1) of the organization at the request's host.

    PKCE (RFC 7636) is not part of OpenAPI's flow object: clients such as Swagger UI turn it
    on themselves (``usePkceWithAuthorizationCodeGrant``); public clients must.
    """

    target_class = "perscom_oauth.contrib.rest_framework.OAuth2Authentication"
    match_subclasses = True
    name = SCHEME_NAME

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        view = auto_schema.view
        return {SCHEME_NAME: required_scopes(view, view.request)}

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, object]:
        request = getattr(auto_schema.view, "request", None)
        token_url = endpoint_url(request, "token")
        return {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": endpoint_url(request, "authorize"),
                    "tokenUrl": token_url,
                    # Refresh tokens are exchanged at the token endpoint (RFC 6749 §6).
                    "refreshUrl": token_url,
                    "scopes": {name: str(scope.description) for name, scope in registry().items()},
                }
            },
        }
