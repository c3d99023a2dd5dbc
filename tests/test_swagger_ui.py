"""Swagger UI's Authorize button, in a real browser: authorization code + PKCE against the demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.chromium import TIMEOUT_MS, chromium_context, screenshot
from tests.demo import seed_demo

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server: Any) -> dict[str, Any]:
    data = seed_demo()  # registers Swagger UI's callback at port 8000 only
    data["base"] = live_server.url  # http://localhost:<port>, another port: the demo organization's host
    return data


@pytest.fixture
def page(demo: dict[str, Any]) -> Iterator[Any]:
    """A Chromium page. Launched after the seed: while Playwright's event loop lives in this
    thread, Django refuses ORM calls (SynchronousOnlyOperation)."""
    with chromium_context(viewport={"width": 1280, "height": 1000}) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page


def test_authorize_button_logs_in_and_calls_the_api(demo: dict[str, Any], page: Any) -> None:
    base = demo["base"]
    alice = next(u for u in demo["users"] if u["username"] == "alice")
    page.goto(f"{base}/api/docs")
    # RFC 8252 §7.3 allows any port for a loopback IP, not for the name localhost: the docs
    # page moves to 127.0.0.1 on the same port, and its redirect_uri then matches.
    base = base.replace("://localhost:", "://127.0.0.1:")
    assert page.url == f"{base}/api/docs"

    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".auth-container", has_text="authorizationCode with PKCE")
    assert f"{base}/oauth/authorize" in dialog.inner_text()
    assert dialog.locator("#client_id_authorizationCode").input_value() == "demo-swagger"
    dialog.locator('label[for="view:user-authorizationCode-checkbox-oauth2"]').click()
    with page.expect_popup() as popup_info:
        dialog.locator("button.authorize").click()

    # The popup: authorization request (with S256 PKCE), login, consent, redirect, close.
    popup = popup_info.value
    popup.set_default_timeout(TIMEOUT_MS)
    popup.wait_for_load_state()
    assert "/accounts/login/" in popup.url
    assert "code_challenge_method%3DS256" in popup.url
    popup.fill("#id_username", alice["username"])
    popup.fill("#id_password", alice["password"])
    popup.get_by_role("button", name="Sign in").click()
    popup.wait_for_url("**/oauth/authorize?**")
    assert popup.locator('input[name="approved_scopes"][value="view:user"]').is_checked()
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Authorize").click()

    # Swagger UI exchanged the code for a token: its dialog now offers to log out.
    dialog.locator("button", has_text="Logout").wait_for()
    dialog.locator("button.btn-done").click()

    operation = page.locator("#operations-me-me_retrieve")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_request(f"{base}/api/me") as request_info:
        operation.get_by_role("button", name="Execute").click()
    assert request_info.value.headers["authorization"].startswith("Bearer ")

    response = operation.locator(".live-responses-table tr.response")
    response.locator(".response-col_status", has_text="200").wait_for()
    body = json.loads(response.locator(".response-col_description pre.microlight").first.inner_text())
    # client_id and scopes are only set for a bearer token (the popup's session cookie would not).
    assert body["user"]["username"] == "alice"
    assert body["client_id"] == "demo-swagger"
    assert body["scopes"] == ["view:user"]

    screenshot(page, "swagger-authorized")
