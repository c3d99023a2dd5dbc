"""Issue 23, point 4: the official MCP client signs in to the demo's MCP server, unmodified.

The MCP SDK's ``OAuthClientProvider`` (its own client-side OAuth, as an AI agent runs it) gets
the 401, reads the RFC 9728 document it names, then our RFC 8414 document, identifies itself
by a client ID metadata document (first run) or by dynamic registration (RFC 7591, second
run), and goes through code + PKCE S256 + ``resource`` (RFC 8707) while Chromium signs the
member in and approves on our consent screen. It lists the tools and calls one; once the
member revokes the app on "Authorized applications", its token is refused and the client has
to ask again. The Basic-plan organization refuses it with words that name the plan.

The live server, the MCP server (uvicorn) and the metadata document's https server run in
threads of this process; the ORM is used only outside the event loop (tests/chromium.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from perscom_oauth.models import Application, AuditEvent, Organization, RegistrationPolicy
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, browser_missing
from tests.demo import seed_demo
from tests.https_documents import Answer, DocumentServer
from tests.mcp_support import MCPServerUnderTest, http_client, running

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

CALLBACK = "http://127.0.0.1:8765/mcp-callback"
SCOPES = "view:user view:award view:rank"


class Memory:
    """The SDK's ``TokenStorage``, in memory (what an agent keeps between calls)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Member:
    """Bob in Chromium: signs in when sent to the authorization endpoint, approves, and hands
    the code the callback received to the SDK (its ``redirect_handler``/``callback_handler``)."""

    def __init__(self, page: Any, password: str) -> None:
        self.page = page
        self.password = password
        self.signed_in = False
        self.asked = 0
        self.callback: dict[str, list[str]] = {}
        self.consent_text = ""

    async def redirect_handler(self, authorization_url: str) -> None:
        self.asked += 1
        if self.asked > 1:
            raise PermissionError("asked to authorize again: the token was refused")
        page = self.page
        await page.goto(authorization_url)
        if not self.signed_in:
            await page.fill("#id_username", "bob")
            await page.fill("#id_password", self.password)
            await page.get_by_role("button", name="Sign in").click()
            self.signed_in = True
        button = page.get_by_role("button", name="Authorize")
        await button.wait_for()
        self.consent_text = await page.locator("main").inner_text()
        async with page.expect_request(lambda request: request.url.startswith(CALLBACK)) as sent:
            await button.click()
        self.callback = parse_qs(urlparse((await sent.value).url).query)

    async def callback_handler(self) -> AuthorizationCodeResult:
        first = {name: values[0] for name, values in self.callback.items()}
        return AuthorizationCodeResult(code=first["code"], state=first.get("state"), iss=first.get("iss"))

    async def revoke(self, base: str, name: str) -> None:
        page = self.page
        await page.goto(f"{base}/oauth/authorized-apps")
        await page.get_by_role("button", name=f"Revoke {name}").click()
        await page.get_by_role("button", name=f"Yes, revoke {name}").click()
        await page.get_by_text(f"{name} can no longer access your account").wait_for()


@pytest.fixture
def demo(live_server: Any, settings: Any) -> dict[str, Any]:
    data = seed_demo()
    data["base"] = live_server.url  # http://localhost:<port>: the demo organization's host
    data["port"] = int(live_server.url.rsplit(":", 1)[1])
    data["password"] = {user["username"]: user["password"] for user in data["users"]}
    return data


@pytest.fixture
def documents(settings: Any) -> Iterator[DocumentServer]:
    server = DocumentServer()
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TEST_METADATA_DOCUMENTS_CA": server.ca_file}
    yield server
    server.close()


@pytest.fixture
def mcp(demo: dict[str, Any]) -> Iterator[MCPServerUnderTest]:
    with running(demo["port"]) as server:
        yield server


def policy(**fields: str) -> None:
    RegistrationPolicy.objects.update_or_create(
        organization=Organization.objects.get(slug="demo"),
        defaults={"allowed_scopes": f"openid {SCOPES}", **fields},
    )


def metadata(name: str) -> OAuthClientMetadata:
    return OAuthClientMetadata(
        redirect_uris=[CALLBACK],
        client_name=name,
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )


async def agent_session(
    mcp: MCPServerUnderTest, demo: dict[str, Any], provider: OAuthClientProvider, member: Member, name: str
) -> dict[str, Any]:
    """The agent's whole visit: sign in, list, call; the member revokes; the next call."""
    seen: dict[str, Any] = {}
    try:
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as client,
            streamable_http_client(mcp.url(), http_client=client) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            seen["tools"] = sorted(tool.name for tool in (await session.list_tools()).tools)
            result = await session.call_tool("list_awards", {})
            seen["awards"] = json.dumps([block.model_dump() for block in result.content])
            token = provider.context.current_tokens.access_token if provider.context.current_tokens else ""
            seen["token"] = token
            await member.revoke(demo["base"], name)
            async with http_client(token) as raw:
                seen["after_revocation"] = (await raw.post(mcp.url(), json={})).status_code
            try:
                await session.call_tool("list_awards", {})
                seen["next_call"] = "answered"
            except Exception as error:  # the SDK's own error type varies with where the 401 lands
                seen["next_call"] = repr(error)
    except Exception as error:  # the transport's task group raises the refusal's aftermath
        seen.setdefault("next_call", repr(error))
    return seen


async def with_chromium(run: Any) -> Any:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await page.route(
                f"{CALLBACK}*", lambda route: route.fulfill(body="signed in", content_type="text/plain")
            )
            return await run(page)
        finally:
            await browser.close()


def require_chromium() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        browser_missing("Playwright for Python is not installed")
    if not CHROMIUM.exists():
        browser_missing(f"no Chromium at {CHROMIUM}")


@pytest.mark.urls("tests.sign_in_urls")
def test_the_official_client_signs_in_by_its_metadata_document(
    demo: dict[str, Any], mcp: MCPServerUnderTest, documents: DocumentServer
) -> None:
    require_chromium()
    policy(metadata_documents="listed", metadata_document_domains="127.0.0.1", dynamic_registration="off")
    client_id = documents.url("/agent/client.json")
    document = {
        "client_id": client_id,
        "client_name": "Test Agent",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    documents.serve("/agent/client.json", Answer(body=json.dumps(document).encode()))

    async def run(page: Any) -> dict[str, Any]:
        member = Member(page, demo["password"]["bob"])
        provider = OAuthClientProvider(
            server_url=mcp.url(),
            client_metadata=metadata("Test Agent"),
            storage=Memory(),
            redirect_handler=member.redirect_handler,
            callback_handler=member.callback_handler,
            client_metadata_url=client_id,
        )
        seen = await agent_session(mcp, demo, provider, member, "Test Agent")
        seen["consent"] = member.consent_text
        return seen

    seen = asyncio.run(with_chromium(run))
    assert seen["tools"] == ["list_awards", "list_members", "list_ranks"]
    assert "Medal" in seen["awards"] or "award" in seen["awards"].lower()
    assert "Identified by 127.0.0.1" in seen["consent"]
    assert seen["after_revocation"] == 401
    assert "asked to authorize again" in seen["next_call"]
    application = Application.objects.get(client_id=client_id)
    assert (application.registration_source, application.client_type) == ("cimd", "public")
    assert documents.hits["/agent/client.json"] == 1
    # RFC 8707: the token was for the MCP server, and only for it.
    assert AuditEvent.objects.filter(event="client_registered", application=application).count() == 1


@pytest.mark.urls("tests.sign_in_urls")
def test_the_official_client_signs_in_by_dynamic_registration(
    demo: dict[str, Any], mcp: MCPServerUnderTest
) -> None:
    require_chromium()
    policy(metadata_documents="off", dynamic_registration="open")

    async def run(page: Any) -> dict[str, Any]:
        member = Member(page, demo["password"]["bob"])
        storage = Memory()
        provider = OAuthClientProvider(
            server_url=mcp.url(),
            client_metadata=metadata("Registered Agent"),
            storage=storage,
            redirect_handler=member.redirect_handler,
            callback_handler=member.callback_handler,
        )
        seen = await agent_session(mcp, demo, provider, member, "Registered Agent")
        seen["client_id"] = storage.client.client_id if storage.client else None
        return seen

    seen = asyncio.run(with_chromium(run))
    assert seen["tools"] == ["list_awards", "list_members", "list_ranks"]
    assert seen["after_revocation"] == 401
    assert "asked to authorize again" in seen["next_call"]
    application = Application.objects.get(client_id=seen["client_id"])
    assert (application.registration_source, application.client_type) == ("dcr", "public")
    assert set(application.allowed_scopes.split()) <= {"openid", *SCOPES.split()}


def test_the_basic_plan_refuses_the_official_client(demo: dict[str, Any], mcp: MCPServerUnderTest) -> None:
    """The Basic organization's MCP endpoint: refused before any sign-in, in words naming the plan."""

    async def run() -> str:
        provider = OAuthClientProvider(
            server_url=mcp.url("127.0.0.1"),
            client_metadata=metadata("Test Agent"),
            storage=Memory(),
        )
        async with http_client(host=f"basic.localhost:{mcp.port}") as client:
            client.auth = provider
            response = await client.post(
                mcp.url("127.0.0.1"), json={"jsonrpc": "2.0", "id": 1, "method": "ping"}
            )
            return f"{response.status_code} {response.text}"

    answer = asyncio.run(run())
    assert answer.startswith("403"), answer
    assert "plan" in answer.lower()
