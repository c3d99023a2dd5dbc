"""What a member sees of a client that identified itself by its metadata document, in Chromium at
a desktop (1400x900) and a phone (390x844) size: the consent screen naming the document's
domain, "Awaiting approval" and "Application blocked". Each passes axe-core with zero
violations, has a title, an h1 and a main landmark, and never scrolls sideways; screenshots go
to artifacts/screenshots/. The database is touched only before a browser starts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from perscom_oauth.models import Application, Organization, RegistrationPolicy
from tests.axe import page_problems, require_axe
from tests.chromium import TIMEOUT_MS, chromium_context, screenshot
from tests.demo import seed_demo
from tests.https_documents import DocumentServer
from tests.oauth import pkce_pair

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SIZES = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
CALLBACK = "http://127.0.0.1:8765/callback"


@pytest.fixture
def documents(settings: Any) -> Iterator[DocumentServer]:
    server = DocumentServer()
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TEST_METADATA_DOCUMENTS_CA": server.ca_file}
    yield server
    server.close()


def authorize_url(base: str, client_id: str) -> str:
    from urllib.parse import urlencode

    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "view:user view:award",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base}/oauth/authorize?{urlencode(query)}"


@pytest.mark.urls("tests.sign_in_urls")
@pytest.mark.parametrize("size", SIZES)
def test_pages_of_a_self_identified_client(live_server: Any, documents: DocumentServer, size: str) -> None:
    require_axe()
    demo = seed_demo()
    password = {user["username"]: user["password"] for user in demo["users"]}["bob"]
    organization = Organization.objects.get(slug="demo")
    RegistrationPolicy.objects.update_or_create(
        organization=organization,
        defaults={
            "metadata_documents": "listed",
            "metadata_document_domains": "127.0.0.1",
            "allowed_scopes": "view:user view:award",
        },
    )
    trusted = documents.serve_document(
        "/assistant.json",
        client_name="Research Assistant",
        redirect_uris=[CALLBACK],
        client_uri="https://assistant.example/",
    )
    waiting = documents.serve_document(
        "/waiting.json", client_name="Waiting Assistant", redirect_uris=[CALLBACK]
    )
    blocked = documents.serve_document(
        "/blocked.json", client_name="Rogue Assistant", redirect_uris=[CALLBACK]
    )
    # The last two were seen before, under the "approval" policy; one was blocked since.
    for client_id, review in ((waiting, "pending"), (blocked, "blocked")):
        Application.objects.create(
            organization=organization,
            client_id=client_id,
            name=client_id.rsplit("/", 1)[1],
            client_type="public",
            authorization_grant_type="authorization-code",
            redirect_uris=CALLBACK,
            registration_source="cimd",
            review=review,
            allowed_scopes="view:user",
        )
    base = live_server.url
    found: dict[str, list[str]] = {}
    with chromium_context(**SIZES[size]) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(authorize_url(base, trusted))
        page.fill("#id_username", "bob")
        page.fill("#id_password", password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Authorize Research Assistant").wait_for()
        notice = page.get_by_role("note").inner_text()
        assert "Identified by 127.0.0.1" in notice and "Demo Unit has not verified it" in notice
        for name, url, heading in (
            ("consent", None, None),
            ("waiting", authorize_url(base, waiting), "Awaiting approval"),
            ("blocked", authorize_url(base, blocked), "Application blocked"),
        ):
            if url is not None:
                page.goto(url)
                page.get_by_role("heading", name=heading).wait_for()
            page.wait_for_load_state()
            screenshot(page, f"registration-{name}-{size}")
            problems = page_problems(page)
            if problems:
                found[name] = problems
    assert not found, "\n".join(
        f"{name}: {problem}" for name, problems in found.items() for problem in problems
    )
