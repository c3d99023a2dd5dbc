"""An MCP server (the official SDK's ``MCPServer``) behind this package's tokens, per organization.

The SDK's own wiring (``MCPServer(token_verifier=..., auth=AuthSettings(...))``) knows one
resource URL and one issuer, fixed at start-up. Here one process serves every organization, each
at its own host with its own issuer, so the ASGI app below does what the SDK's
``BearerAuthBackend``, ``RequireAuthMiddleware`` and protected-resource route do, per request:

- ``/.well-known/oauth-protected-resource<path>``: the RFC 9728 document of the host's MCP
  endpoint: ``resource`` is that endpoint on the requesting host, ``authorization_servers`` the
  organization's issuer;
- every other path: the host's organization and plan (the tenant gate's answers: 400, 404, 403),
  then the bearer token (``OrganizationTokenVerifier``); a 401 carries
  ``WWW-Authenticate: Bearer ..., resource_metadata="<that document>"`` (RFC 9728 §5.1);
- a ``tools/call`` for a tool whose scopes the token lacks: 403 ``insufficient_scope`` with the
  scopes in the challenge (RFC 6750 §3.1), which the SDK's client answers by asking for them
  (MCP 2025-11-25, "Scope Challenge Handling"); the tool checks again when it runs.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from mcp.server.auth.middleware.auth_context import auth_context_var, get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE, TransportSecuritySettings
from starlette.authentication import AuthCredentials

from ...adapter import get_adapter
from ...http.challenges import Refusal, bearer_challenge
from ...http.headers import bearer_token
from ...http.outage import is_outage, unavailable
from ...http.responses import NO_STORE, oauth_error
from ...tenancy.gates import record_plan_refusal, unknown_host_message
from ...tenancy.hosts import organization_for_request
from .verifier import (
    MCPResource,
    OrganizationAccessToken,
    OrganizationTokenVerifier,
    current_request,
    run_in_django,
)

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("perscom_oauth.outage")
ToolFunction = TypeVar("ToolFunction", bound=Callable[..., Awaitable[Any]])
Answer = TypeVar("Answer")


class ProtectedMCP:
    """Serves ``server`` over streamable HTTP at ``path``, for the organization of each request's host.

    Register tools with ``tool(*scopes)`` instead of ``server.tool()``: the scopes a tool needs
    are enforced before it runs and published in the resource's metadata. ``authorization_server_port``:
    see ``MCPResource``. Inside a tool, ``token()`` is the caller's token: its organization, user
    and effective scopes.
    """

    def __init__(
        self,
        server: MCPServer[Any],
        *,
        path: str = "/mcp",
        authorization_server_port: int | None = None,
        resource_name: str = "",
    ) -> None:
        if not path.startswith("/") or path.endswith("/") or path.startswith("/.well-known/"):
            raise ImproperlyConfigured(f"ProtectedMCP: path must be like '/mcp', not {path!r}.")
        self.server = server
        self.resource = MCPResource(path, authorization_server_port, resource_name or server.name)
        self.verifier = OrganizationTokenVerifier(self.resource)
        self.tool_scopes: dict[str, frozenset[str]] = {}

    def tool(
        self, *scopes: str, name: str | None = None, **options: Any
    ) -> Callable[[ToolFunction], ToolFunction]:
        """``server.tool(name, **options)`` for a coroutine function that runs only for a token
        holding every one of ``scopes`` (its *effective* scopes: what the user may still do)."""

        def register(function: ToolFunction) -> ToolFunction:
            registered = function  # iscoroutinefunction() narrows ``function``'s type below
            if not inspect.iscoroutinefunction(function):
                raise ImproperlyConfigured(
                    f"ProtectedMCP.tool: {function.__qualname__} must be a coroutine function (async def); "
                    "run ORM queries in it with perscom_oauth.contrib.mcp.run_in_django."
                )
            required = frozenset(scopes)
            tool_name = name or function.__name__

            @functools.wraps(function)
            async def guarded(*args: Any, **kwargs: Any) -> Any:
                missing = required - set(token().scopes)
                if missing:
                    # The HTTP layer answers 403 first; this holds even if a request reached
                    # the tool some other way (a batch, a body the peek could not read).
                    raise ToolError(insufficient_scope_message(tool_name, missing))
                return await function(*args, **kwargs)

            self.tool_scopes[tool_name] = required
            self.server.tool(name=tool_name, **options)(guarded)
            return registered

        return register

    def streamable_http_app(self, **options: Any) -> ASGIApp:
        """The ASGI app to serve (uvicorn): the SDK's streamable HTTP app at ``path``, behind
        ``Guard``. ``options`` go to ``MCPServer.streamable_http_app``.

        The SDK's Host check (``TransportSecuritySettings``, against DNS rebinding) is replaced
        by Django's ``ALLOWED_HOSTS``, which every request passes before anything else:
        organizations are told apart by host, so the host list is Django's to keep."""
        options.setdefault(
            "transport_security", TransportSecuritySettings(enable_dns_rebinding_protection=False)
        )
        app = self.server.streamable_http_app(streamable_http_path=self.resource.path, **options)
        return Guard(app, self)

    # What the guard asks, in Django's thread (``run_in_django``).

    def gate(self, request: HttpRequest) -> HttpResponse | None:
        """The tenant gate's answers (``tenancy.gates.TenantGateMixin``): a host Django does not
        allow, a host no organization answers at, an organization whose plan lacks OAuth 2.0."""
        try:
            organization = organization_for_request(request)
        except DisallowedHost:
            return oauth_error(400, "invalid_request", _("This host is not allowed here."))
        if organization is None:
            return oauth_error(404, "invalid_request", unknown_host_message(request))
        adapter = get_adapter()
        if not adapter.has_oauth(organization):
            # 403, not 401: signing in cannot help, so the client must not be sent to do it.
            record_plan_refusal(organization, request, request.path)
            return oauth_error(403, "access_denied", adapter.plan_refusal_message(organization))
        return None

    def authenticate(self, request: HttpRequest) -> OrganizationAccessToken | HttpResponse:
        refused = self.gate(request)
        if refused is not None:
            return refused
        value = bearer_token(request.headers)
        if value is None:
            # RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
            response = JsonResponse(
                {"error_description": _("This MCP server requires an OAuth 2.0 access token.")}, status=401
            )
            return self.challenge(response, request, None)
        checked = self.verifier.check_sync(value, request)
        if isinstance(checked, Refusal):
            return self.challenge(oauth_error(401, checked.error, checked.description), request, checked)
        return checked

    def insufficient_scope(
        self, request: HttpRequest, tool_name: str, missing: frozenset[str]
    ) -> HttpResponse:
        required = self.tool_scopes[tool_name]
        refusal = Refusal(insufficient_scope_message(tool_name, missing), error="insufficient_scope")
        response = oauth_error(403, refusal.error, refusal.description)
        return self.challenge(response, request, refusal, scope=" ".join(sorted(required)))

    def challenge(
        self, response: HttpResponse, request: HttpRequest, refusal: Refusal | None, **extra: str
    ) -> HttpResponse:
        error = {**refusal.as_oauth2_error(), **extra} if refusal is not None else None
        response["WWW-Authenticate"] = bearer_challenge(
            request, error, realm="mcp", metadata_url=self.resource.metadata_url(request)
        )
        for header, value in NO_STORE.items():
            response[header] = value
        return response

    def metadata(self, request: HttpRequest) -> HttpResponse:
        """RFC 9728 §3.2 for the MCP endpoint of the request's host, behind the same gate."""
        if request.method not in ("GET", "HEAD"):
            response = oauth_error(405, "invalid_request", _("Use GET."))
            response["Allow"] = "GET, HEAD"
            return response
        refused = self.gate(request)
        if refused is not None:
            return refused
        document: dict[str, Any] = {
            "resource": self.resource.url(request),
            "authorization_servers": [self.resource.issuer(request)],
            "scopes_supported": sorted(set().union(*self.tool_scopes.values())),
            "bearer_methods_supported": ["header"],  # RFC 6750 §2.1 only
        }
        if self.resource.resource_name:
            document["resource_name"] = self.resource.resource_name
        response = JsonResponse(document)
        response["Access-Control-Allow-Origin"] = "*"  # public, as the base library's documents
        return response


def token() -> OrganizationAccessToken:
    """The token of the request a tool runs for (set by ``Guard``, carried to the tool by the
    SDK with the request's context)."""
    checked = get_access_token()
    if not isinstance(checked, OrganizationAccessToken):
        raise ToolError(_("No access token of this server reached the tool."))
    return checked


def insufficient_scope_message(tool_name: str, missing: frozenset[str]) -> str:
    return _(
        "insufficient_scope: the tool %(tool)s requires the scope %(scopes)s, which this token does not hold."
    ) % {
        "tool": tool_name,
        "scopes": " ".join(sorted(missing)),
    }


class Guard:
    """The ASGI middleware ``ProtectedMCP.streamable_http_app`` returns (see the module docstring)."""

    def __init__(self, app: ASGIApp, protected: ProtectedMCP) -> None:
        self.app = app
        self.protected = protected
        self.metadata_path = f"/.well-known/oauth-protected-resource{protected.resource.path}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan: the SDK's session manager
            return
        request = ASGIRequest(dict(scope), BytesIO())  # headers and host only: the body stays here
        if scope["path"] == self.metadata_path:
            await send_django(await self.in_django(request, self.protected.metadata, request), send)
            return
        reset = current_request.set(request)
        try:
            checked = await self.in_django(request, self.protected.authenticate, request)
            if isinstance(checked, HttpResponse):
                await send_django(checked, send)
                return
            if scope["method"] == "POST":
                messages, body = await read_body(receive, DEFAULT_MAX_REQUEST_BODY_SIZE)
                receive = replay(messages, receive)
                for tool_name in called_tools(body):
                    missing = self.protected.tool_scopes.get(tool_name, frozenset()) - set(checked.scopes)
                    if missing:
                        response = await self.in_django(
                            request, self.protected.insufficient_scope, request, tool_name, missing
                        )
                        await send_django(response, send)
                        return
            user = AuthenticatedUser(checked)
            authenticated = {**scope, "user": user, "auth": AuthCredentials(checked.scopes)}
            auth = auth_context_var.set(user)  # what the SDK's AuthContextMiddleware sets
            try:
                await self.app(authenticated, receive, send)
            finally:
                auth_context_var.reset(auth)
        finally:
            current_request.reset(reset)

    async def in_django(
        self, request: HttpRequest, function: Callable[..., Answer], *args: Any
    ) -> Answer | HttpResponse:
        """``run_in_django``; a database that cannot be reached is a 503 with ``Retry-After``, as
        ``http.outage.DatabaseOutageMiddleware`` answers for Django's views (``run_in_django``
        has closed the broken connection)."""
        try:
            return await run_in_django(function, *args)
        except Exception as exception:
            if not is_outage(exception):
                raise
            logger.warning("perscom_oauth: database unreachable, MCP answered 503: %s", exception)
            return unavailable(request)


async def send_django(response: HttpResponse, send: Send) -> None:
    """A Django response (already rendered: JSON) sent through ASGI. Django encoded each header
    value for HTTP (RFC 2047 for text beyond Latin-1), so latin-1 cannot fail."""
    body = response.content
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The request's messages read so far, and its body if it is complete within ``limit``
    (None: larger, or the client left; the SDK's transport answers those itself)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def called_tools(body: bytes | None) -> list[str]:
    """The tools a JSON-RPC ``tools/call`` body names (a batch, too); nothing for any other body,
    which the SDK refuses or answers itself."""
    if not body:
        return []
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return []
    messages = parsed if isinstance(parsed, list) else [parsed]
    names = []
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            params = message.get("params")
            if isinstance(params, dict) and isinstance(params.get("name"), str):
                names.append(params["name"])
    return names
