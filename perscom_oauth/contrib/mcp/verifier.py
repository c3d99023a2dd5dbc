"""The MCP SDK's ``TokenVerifier``, answered by ``tokens.check.check_access_token``.

An MCP server is a resource server of its own (MCP authorization, revision 2025-11-25,
"Token Audience Binding and Validation"): it accepts only a token issued for it, so a token
stolen from, or meant for, another resource (the dashboard's API, another MCP server) is
useless here. The organization is the request host's, exactly as for the Django APIs; the
audience is the MCP endpoint's URL on that host (RFC 8707 §2, compared as the SDK's client
computes it: ``mcp.shared.auth_utils.resource_url_from_server_url``).

Everything that reads the database or the cache runs in a worker thread
(``asgiref.sync.sync_to_async``): the event loop serving MCP never blocks on the ORM, which
Django forbids there anyway (``SynchronousOnlyOperation``).
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.http.request import split_domain_port
from django.utils.translation import gettext as _
from mcp.server.auth.provider import AccessToken
from oauth2_provider.settings import oauth2_settings

from ...http.challenges import Refusal
from ...tenancy.hosts import organization_for_request, prefetched_token
from ...tokens.check import check_access_token

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ...typing import AccessToken as TokenModel
    from ...typing import Organization

P = ParamSpec("P")
R = TypeVar("R")


class OrganizationAccessToken(AccessToken):
    """The SDK's ``AccessToken`` (what ``mcp.server.auth.middleware.auth_context.get_access_token``
    returns inside a tool) with the organization it is valid at. ``scopes`` are the token's
    *effective* scopes (``scopes.effective``): what its user may still do, not what was once
    granted; ``subject`` is the user's primary key (None for a machine token), ``claims["iss"]``
    the organization's issuer, so the SDK binds a session to (client, issuer, user)."""

    organization_id: int
    user_id: int | None = None


def canonical_resource(url: str) -> str:
    """RFC 8707 §2 / RFC 3986 §6.2.2.1: scheme and host in lower case, no fragment, no
    trailing slash; the comparison the SDK's own ``BearerAuthBackend`` makes."""
    parts = urlsplit(url)
    canonical = urlunsplit(
        parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment="")
    )
    return canonical.removesuffix("/")


@dataclass(frozen=True)
class MCPResource:
    """Where the MCP endpoint is, and where its organization's authorization server is.

    ``path``: the streamable HTTP endpoint (``/mcp``). ``authorization_server_port``: None when
    the authorization server (the Django site with ``perscom_oauth.urls``) answers on the same
    origin as the MCP server (one reverse proxy in front of both: the production shape); a
    port when it runs on the same host names at another port (the demo: MCP on 8001, Django on
    8000). ``resource_name``: RFC 9728 §2, for people.
    """

    path: str = "/mcp"
    authorization_server_port: int | None = None
    resource_name: str = ""

    def url(self, request: HttpRequest) -> str:
        """The MCP endpoint on the request's host: the ``resource`` of its RFC 9728 document
        and the only audience accepted (``get_host()`` enforces ``ALLOWED_HOSTS``)."""
        return canonical_resource(request.build_absolute_uri(self.path))

    def metadata_url(self, request: HttpRequest) -> str:
        """RFC 9728 §3.1: the document of a resource with a path is at the well-known prefix
        followed by that path; the SDK's client tries exactly this after ``resource_metadata``."""
        return request.build_absolute_uri(f"/.well-known/oauth-protected-resource{self.path}")

    def issuer(self, request: HttpRequest) -> str:
        """The organization's issuer: what its RFC 8414 document at this host advertises,
        derived the same way (``OIDC_ISS_ENDPOINT``, else the metadata route's base on the host),
        on the authorization server's port."""
        if self.authorization_server_port is not None:
            request = _on_port(request, self.authorization_server_port)
        issuer: str = oauth2_settings.oauth2_authorization_server_issuer(request)
        return issuer


def _on_port(request: HttpRequest, port: int) -> HttpRequest:
    """``request`` as if addressed to ``port`` of the same host name and scheme (the request's
    class decides the scheme: ASGI's, or ``SECURE_PROXY_SSL_HEADER``)."""
    hostname, _port = split_domain_port(request.get_host())
    moved = copy.copy(request)
    moved.__dict__.pop("_current_scheme_host", None)  # a cached_property of the original host
    moved.META = {**request.META, "HTTP_HOST": f"{hostname}:{port}", "SERVER_PORT": str(port)}
    moved.META.pop("HTTP_X_FORWARDED_HOST", None)
    return moved


#: The Django request of the MCP request being authenticated, for ``verify_token``, which the
#: SDK's protocol gives only the token (set by ``contrib.mcp.app`` around each request).
current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "perscom_oauth_mcp_request", default=None
)


class OrganizationTokenVerifier:
    """``mcp.server.auth.provider.TokenVerifier`` for tokens of this package.

    ``verify_token`` answers for the request in progress (``current_request``): its host's
    organization, and the MCP endpoint on that host as the required audience. ``check`` is the
    same with the reason of a refusal, for the ``WWW-Authenticate`` error (RFC 6750 §3.1).
    """

    def __init__(self, resource: MCPResource) -> None:
        self.resource = resource

    async def verify_token(self, token: str) -> OrganizationAccessToken | None:
        request = current_request.get()
        if request is None:
            return None  # outside a request there is no host, so no organization
        checked = await self.check(token, request)
        return None if isinstance(checked, Refusal) else checked

    async def check(self, token: str, request: HttpRequest) -> OrganizationAccessToken | Refusal:
        return await run_in_django(self.check_sync, token, request)

    def check_sync(self, value: str, request: HttpRequest) -> OrganizationAccessToken | Refusal:
        organization = organization_for_request(request)  # fetches the token's entry with the host
        audience = self.resource.url(request)
        token = check_access_token(value, organization, audience, prefetched_token(request))
        if isinstance(token, Refusal):
            return token
        assert organization is not None  # check_access_token refuses a request without one
        # check_access_token checks a token's resources only when it has some, and by prefix
        # (a token for the whole host passes). An MCP server must refuse any token not issued
        # for it (MCP 2025-11-25, "Token Audience Binding"; RFC 8707 §2): an unbound token may
        # have been meant for any resource, so it is refused too.
        if not token.resource:
            return Refusal(
                _(
                    "The access token is not bound to a resource: this MCP server accepts only tokens "
                    "requested with resource=%(resource)s (RFC 8707)."
                )
                % {"resource": audience}
            )
        if audience not in {canonical_resource(uri) for uri in token.resource}:
            return Refusal(
                _("The access token was not issued for this MCP server (%(resource)s).")
                % {"resource": audience}
            )
        return sdk_token(value, token, organization, audience, self.resource.issuer(request))


def sdk_token(
    value: str, token: TokenModel, organization: Organization, audience: str, issuer: str
) -> OrganizationAccessToken:
    """The SDK's view of a checked token (``tokens.check`` set its ``effective_scopes``)."""
    return OrganizationAccessToken(
        token=value,
        client_id=token.application.client_id,
        scopes=sorted(token.effective_scopes),
        expires_at=int(token.expires.timestamp()),
        resource=audience,
        subject=None if token.user_id is None else str(token.user_id),
        claims={"iss": issuer},
        organization_id=organization.pk,
        user_id=token.user_id,
    )


async def run_in_django(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``function`` in Django's thread for synchronous code, as Django's own ASGI handler runs a
    view: ``thread_sensitive=True`` keeps every ORM call on one thread (a connection is never
    shared between threads, and a transaction stays on the thread that opened it), and the
    connections are closed before and after when ``CONN_MAX_AGE`` says so, as the
    ``request_started``/``request_finished`` signals do for a Django request."""

    def in_request() -> R:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return await sync_to_async(in_request, thread_sensitive=True)()
