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
