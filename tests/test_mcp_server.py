"""The demo's MCP server (project/mcp_server.py, perscom_oauth.contrib.mcp) over real HTTP, driven by
the MCP SDK's own client: each organization's tokens, audiences, scopes and plan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
from mcp.shared.exceptions import MCPError

from perscom_oauth.models import AuditEvent, Organization
from perscom_oauth.tokens.revocation import revoke
from project.demo.models import Award, Rank
from project.mcp_server import create
from tests.conftest import make_member, role
from tests.factories import ApplicationFactory, DomainFactory, OrganizationFactory
from tests.mcp_support import MCPServerUnderTest, http_client, run, running, session
from tests.oauth import OAuthClient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

ALL_SCOPES = "view:user view:award view:rank"
TOOLS = {"list_members": "view:user", "list_awards": "view:award", "list_ranks": "view:rank"}


@pytest.fixture
def alpha(db: Any) -> Organization:
    """The Enterprise organization at localhost (the demo's host), with data of each kind."""
    organization = OrganizationFactory(slug="alpha", name="Alpha Unit")
    DomainFactory(organization=organization, hostname="localhost")
    Award.objects.create(organization=organization, name="Medal of Honor")
    Rank.objects.create(organization=organization, name="Private", abbreviation="PVT", order=1)
    return organization


@pytest.fixture
def bravo(db: Any) -> Organization:
    """Another Enterprise organization, at bravo.localhost, whose data alpha's tokens never see."""
    organization = OrganizationFactory(slug="bravo", name="Bravo Unit")
    DomainFactory(organization=organization, hostname="bravo.localhost")
    Award.objects.create(organization=organization, name="Bravo Star")
    return organization


@pytest.fixture
def basic(db: Any) -> Organization:
    organization = OrganizationFactory(slug="basic", name="Basic Unit", plan=Organization.Plan.BASIC)
    DomainFactory(organization=organization, hostname="basic.localhost")
    return organization


@pytest.fixture
def viewer(alpha: Organization) -> Any:
    return make_member(alpha, "viewer", role("Viewer", "view"))


@pytest.fixture
def alpha_app(alpha: Organization) -> Any:
    return ApplicationFactory(organization=alpha, client_id="alpha-agent")


@pytest.fixture
def mcp(live_server: Any) -> Iterator[MCPServerUnderTest]:
    """The MCP server, with the live Django server as the organizations' authorization server."""
    with running(int(live_server.url.rsplit(":", 1)[1])) as server:
        yield server


def token_for(user: Any, application: Any, scope: str = ALL_SCOPES, **extra: str) -> str:
    """An access token from the authorization-code flow at localhost (extra: ``resource``)."""
    response = OAuthClient("localhost").code_flow(user, application, scope, **extra)
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def test_a_token_for_this_server_lists_and_calls_every_tool(
    mcp: MCPServerUnderTest, viewer: Any, alpha_app: Any, bravo: Organization
) -> None:
    token = token_for(viewer, alpha_app, resource=mcp.url())

    async def scenario() -> dict[str, Any]:
        async with session(mcp.url(), token) as client:
            tools = await client.list_tools()
            assert {tool.name for tool in tools.tools} == set(TOOLS)
            return {name: (await client.call_tool(name)).structured_content for name in TOOLS}

    results = run(scenario())
    assert [m["username"] for m in results["list_members"]["result"]] == ["viewer"]
    assert [a["name"] for a in results["list_awards"]["result"]] == ["Medal of Honor"]  # not Bravo's
    assert [r["abbreviation"] for r in results["list_ranks"]["result"]] == ["PVT"]


def post_initialize(url: str, token: str | None = None, host: str | None = None, **options: Any) -> Any:
    """One raw initialize request (what the SDK's client sends first), answered as it is."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }

    async def post() -> Any:
        async with http_client(token, host) as client:
            response = await client.post(
                url, json=body, headers={"Accept": "application/json, text/event-stream"}, **options
            )
            await response.aread()
            return response

    return run(post())


def test_without_a_token_the_401_names_the_resource_metadata(
    mcp: MCPServerUnderTest, alpha: Organization
) -> None:
    response = post_initialize(mcp.url())
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{mcp.metadata_url()}"' in challenge
    assert "error=" not in challenge  # RFC 6750 §3.1: no error code without credentials

    async def with_the_sdk() -> None:
        async with session(mcp.url()):
            pass

    with pytest.raises(Exception):  # the SDK's client reports the 401 its own way
        run(with_the_sdk())


def test_the_resource_metadata_is_per_organization(
    mcp: MCPServerUnderTest, live_server: Any, alpha: Organization, bravo: Organization
) -> None:
    as_port = live_server.url.rsplit(":", 1)[1]
    for host in ("localhost", "bravo.localhost"):
        response = requests.get(
            f"http://127.0.0.1:{mcp.port}/.well-known/oauth-protected-resource/mcp",
            headers={"Host": f"{host}:{mcp.port}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        document = response.json()
        # What the SDK's client computes for the server URL it was given, and must find here.
        assert document["resource"] == resource_url_from_server_url(mcp.url(host)) == mcp.url(host)
        assert check_resource_allowed(resource_url_from_server_url(mcp.url(host)), document["resource"])
        # The organization's issuer: what its RFC 8414 document at that host says.
        server_metadata = requests.get(
            f"http://127.0.0.1:{as_port}/.well-known/oauth-authorization-server",
            headers={"Host": f"{host}:{as_port}"},
            timeout=10,
        ).json()
        assert (
            document["authorization_servers"] == [server_metadata["issuer"]] == [f"http://{host}:{as_port}"]
        )
        assert document["scopes_supported"] == sorted(TOOLS.values())
        assert document["bearer_methods_supported"] == ["header"]


def test_the_sdk_finds_the_metadata_where_the_challenge_points(
    mcp: MCPServerUnderTest, alpha: Organization
) -> None:
    from mcp.client.auth.utils import build_protected_resource_metadata_discovery_urls

    # Without resource_metadata the SDK tries the path-based address first (RFC 9728 §3.1):
    # the same document.
    assert build_protected_resource_metadata_discovery_urls(None, mcp.url())[0] == mcp.metadata_url()
    assert requests.get(mcp.metadata_url(), timeout=10).status_code == 200


@pytest.mark.parametrize("resource", [None, "api", "host", "bravo"])
def test_a_token_not_issued_for_this_server_is_refused(
    mcp: MCPServerUnderTest,
    live_server: Any,
    viewer: Any,
    alpha_app: Any,
    bravo: Organization,
    resource: str | None,
) -> None:
    audiences = {
        "api": f"{live_server.url}/api/",  # the dashboard's API, on the same host
        "host": f"http://localhost:{mcp.port}/",  # the MCP server's whole origin: a parent, not it
        "bravo": mcp.url("bravo.localhost"),  # another organization's MCP server
    }
    extra = {} if resource is None else {"resource": audiences[resource]}
    token = token_for(viewer, alpha_app, **extra)
    response = post_initialize(mcp.url(), token)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge
    assert f'resource_metadata="{mcp.metadata_url()}"' in challenge
    assert response.json()["error"] == "invalid_token"


def test_alpha_tokens_are_unknown_at_bravo(
    mcp: MCPServerUnderTest, viewer: Any, alpha_app: Any, bravo: Organization
) -> None:
    token = token_for(viewer, alpha_app, resource=mcp.url("bravo.localhost"))
    response = post_initialize(mcp.url(), token, host=f"bravo.localhost:{mcp.port}")
    assert response.status_code == 401
    assert response.json()["error_description"] == "The access token is invalid."


def test_a_token_without_view_award_cannot_call_the_awards_tool(
    mcp: MCPServerUnderTest, viewer: Any, alpha_app: Any
) -> None:
    token = token_for(viewer, alpha_app, "view:user view:rank", resource=mcp.url())

    async def scenario() -> None:
        async with session(mcp.url(), token) as client:
            assert (await client.call_tool("list_members")).is_error is False
            with pytest.raises(MCPError):
                await client.call_tool("list_awards")

    run(scenario())

    # The refusal itself, before the tool runs: 403 insufficient_scope naming the scope (RFC 6750
    # §3.1), which the SDK's OAuth client answers by asking for it (MCP 2025-11-25, "Scope
    # Challenge Handling").
    async def raw_call() -> Any:
        async with http_client(token) as raw:
            response = await raw.post(
                mcp.url(),
                json={"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "list_awards"}},
                headers={"Accept": "application/json, text/event-stream"},
            )
            await response.aread()
            return response

    response = run(raw_call())
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="view:award"' in challenge
    assert f'resource_metadata="{mcp.metadata_url()}"' in challenge


def test_the_tool_checks_its_scope_too() -> None:
    # Whatever reaches a tool without the HTTP layer's check (a body it could not read) meets
    # the same rule in the tool.
    from mcp.server.auth.middleware.auth_context import auth_context_var
    from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
    from mcp.server.mcpserver.exceptions import ToolError

    from perscom_oauth.contrib.mcp import OrganizationAccessToken

    protected = create(None)
    held = OrganizationAccessToken(token="t", client_id="c", scopes=["view:user"], organization_id=0)
    reset = auth_context_var.set(AuthenticatedUser(held))
    try:
        with pytest.raises(ToolError, match="requires the scope view:award"):
            run(protected.server.call_tool("list_awards", {}))
    finally:
        auth_context_var.reset(reset)
    with pytest.raises(ToolError, match="No access token"):
        run(protected.server.call_tool("list_awards", {}))


def test_scopes_are_the_effective_ones(
    mcp: MCPServerUnderTest, viewer: Any, alpha_app: Any, alpha: Organization
) -> None:
    # The member loses the view permissions after the grant: the token keeps its scope string
    # but may no longer do it (scopes.effective), here as in the API.
    token = token_for(viewer, alpha_app, resource=mcp.url())
    viewer.perscom_memberships.get(organization=alpha).roles.set([role("Nothing", "clear_cache")])
    response = post_initialize(mcp.url(), token)
    assert response.status_code == 200  # still a member: the token is valid ...

    async def scenario() -> None:
        async with session(mcp.url(), token) as client:
            with pytest.raises(MCPError):
                await client.call_tool("list_members")  # ... but may not read the members

    run(scenario())


def test_a_revoked_token_is_refused_at_the_next_call(
    mcp: MCPServerUnderTest, viewer: Any, alpha_app: Any, alpha: Organization
) -> None:
    from oauth2_provider.models import get_access_token_model

    from perscom_oauth.contrib.mcp import run_in_django

    token = token_for(viewer, alpha_app, resource=mcp.url())

    def revoke_it() -> None:
        revoke(
            organization=alpha,
            access_tokens=get_access_token_model().objects.filter(application=alpha_app),
            actor_type="user",
            actor=viewer,
            application=alpha_app,
            subject=viewer,
            reason="test",
        )

    async def scenario() -> None:
        async with session(mcp.url(), token) as client:
            assert (await client.call_tool("list_ranks")).is_error is False
            await run_in_django(revoke_it)
            with pytest.raises(MCPError):
                await client.call_tool("list_ranks")

    run(scenario())
    response = post_initialize(mcp.url(), token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_basic_plan_host_refuses_clearly(mcp: MCPServerUnderTest, basic: Organization) -> None:
    host = f"basic.localhost:{mcp.port}"
    for token in (None, "any-token"):
        response = post_initialize(f"http://127.0.0.1:{mcp.port}/mcp", token, host=host)
        assert response.status_code == 403
        assert response.json()["error"] == "access_denied"
        assert "requires the Enterprise plan" in response.json()["error_description"]
        assert "'Basic Unit' is on the Basic plan" in response.json()["error_description"]
    metadata = requests.get(
        f"http://127.0.0.1:{mcp.port}/.well-known/oauth-protected-resource/mcp",
        headers={"Host": host},
        timeout=10,
    )
    assert metadata.status_code == 403
    assert "Enterprise plan" in metadata.json()["error_description"]
    assert AuditEvent.objects.filter(organization=basic, event=AuditEvent.Event.PLAN_REFUSED).count() == 3


def test_unknown_hosts_are_refused(mcp: MCPServerUnderTest, alpha: Organization) -> None:
    response = post_initialize(f"http://127.0.0.1:{mcp.port}/mcp", host=f"nowhere.localhost:{mcp.port}")
    assert response.status_code == 404
    assert response.json()["error_description"].startswith("No organization answers at host")
    response = requests.get(
        f"http://127.0.0.1:{mcp.port}/.well-known/oauth-protected-resource/mcp",
        headers={"Host": "bad host!"},
        timeout=10,
    )
    assert response.status_code == 400


GARBAGE_HEADERS = [
    b"Bearer",
    b"Bearer \tx",
    b"Bearer " + b"a" * 20_000,
    "Bearer \u00e9t\u00e9".encode(),
    "Bearer \u00e9t\u00e9".encode("latin-1"),
    b"Bearer a b c",
    b"bearer   x",
    b"Basic Zm9vOmJhcg==",
    b"Bearer %00",
    b"Token x",
]
GARBAGE_BODIES = [
    b"",
    b"{",
    b"[" * 50_000,
    b"null",
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": ["list_awards"]}}',
    b'[{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_awards"}}]',
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "list_awards"}',
    b"\xff\xfe\x00",
    b'{"method": "tools/call", "params": {"name": "list_awards", "name": "list_ranks"}}',
]


def test_garbage_never_answers_500(mcp: MCPServerUnderTest, viewer: Any, alpha_app: Any) -> None:
    token = token_for(viewer, alpha_app, "view:user", resource=mcp.url())

    async def attempts() -> list[tuple[str, int]]:
        statuses = []
        async with http_client() as client:
            for header in GARBAGE_HEADERS:
                for path in ("/mcp", "/.well-known/oauth-protected-resource/mcp", "/elsewhere"):
                    response = await client.request(
                        "POST" if path != "/.well-known/oauth-protected-resource/mcp" else "GET",
                        f"http://localhost:{mcp.port}{path}",
                        headers={"Authorization": header},
                        content=b"{}",
                    )
                    statuses.append((f"{header[:20]!r} {path}", response.status_code))
            for body in GARBAGE_BODIES:
                for method in ("POST", "GET", "DELETE", "PUT"):
                    response = await client.request(
                        method,
                        mcp.url(),
                        headers={
                            "Authorization": f"Bearer {token}",
                            "Accept": "application/json, text/event-stream",
                            "Content-Type": "application/json",
                        },
                        content=body,
                    )
                    statuses.append((f"{method} {body[:30]!r}", response.status_code))
        return statuses

    statuses = run(attempts())
    assert [entry for entry in statuses if entry[1] >= 500] == []
    # The batch and the duplicate key still meet the scope check (view:award is not held).
    assert ("POST " + repr(GARBAGE_BODIES[5][:30]), 403) in statuses
