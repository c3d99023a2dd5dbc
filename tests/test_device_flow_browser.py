"""The device flow (RFC 8628) with a real client nobody here wrote, against a live server, while
Chromium approves the code: Authlib's ``OAuth2Session`` finds the endpoint in the discovery
document, asks for the codes and polls as RFC 8628 §3.5 says (``authorization_pending``:
again after ``interval``; ``slow_down``: five seconds more), while a member opens
``verification_uri_complete`` on a phone, signs in, checks the code and approves. Each page
passes axe-core with zero violations, has a title, an h1 and a main landmark, and never
scrolls sideways, at a desktop (1400x900) and a phone (390x844) size; screenshots go to
artifacts/screenshots/.

The database is touched only before a browser starts (tests/chromium.py).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from tests.axe import page_problems, require_axe
from tests.chromium import TIMEOUT_MS, chromium_context, screenshot
from tests.demo import seed_demo

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DESKTOP = {"viewport": {"width": 1400, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SIZES = {"desktop": DESKTOP, "phone": PHONE, "phone-dark": {**PHONE, "color_scheme": "dark"}}


@pytest.fixture
def demo(live_server: Any, settings: Any) -> dict[str, Any]:
    require_axe()
    # A short polling interval, so that the test waits seconds, not minutes (the live server
    # runs in this process: the setting applies to it).
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DEVICE_FLOW_INTERVAL": 1}
    data = seed_demo()
    data["base"] = live_server.url  # http://localhost:<port>: the demo organization's host
    data["password"] = {user["username"]: user["password"] for user in data["users"]}
    return data


class Device:
    """A TV app: Authlib's session, polling in a thread of its own like a device would."""

    def __init__(self, base: str) -> None:
        self.session = OAuth2Session("demo-tv", scope="view:user", token_endpoint_auth_method="none")
        # No token yet: these two requests carry none (withhold_token).
        metadata = self.session.get(
            f"{base}/.well-known/oauth-authorization-server", withhold_token=True
        ).json()
        self.token_endpoint = metadata["token_endpoint"]
        assert GRANT in metadata["grant_types_supported"]
        response = self.session.post(
            metadata["device_authorization_endpoint"],
            data={"client_id": "demo-tv", "scope": "view:user"},
            withhold_token=True,
        )
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        self.codes: dict[str, Any] = response.json()
        self.answers: list[str] = []
        self.token: dict[str, Any] | None = None
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def poll(self) -> None:
        interval = self.codes["interval"]
        deadline = time.monotonic() + self.codes["expires_in"]
        while time.monotonic() < deadline:
            time.sleep(interval)
            try:
                self.token = dict(
                    self.session.fetch_token(
                        self.token_endpoint, grant_type=GRANT, device_code=self.codes["device_code"]
                    )
                )
                return
            except OAuthError as error:
                self.answers.append(str(error.error))
                if error.error == "slow_down":
                    interval += 5  # RFC 8628 §3.5
                elif error.error != "authorization_pending":
                    return

    def wait(self) -> None:
        self.thread.join(timeout=30)


#: The verification page's form, sent to the confirmation with a code (its CSRF token kept).
RESUBMIT = """(code) => {
    const form = document.querySelector('form.device-form');
    form.action = '/oauth/device/confirm';
    form.querySelector('input[name=user_code]').value = code;
    const action = document.createElement('input');
    Object.assign(action, {type: 'hidden', name: 'action', value: 'approve'});
    form.append(action);
    form.submit();
}"""


def check(page: Any, name: str, found: dict[str, list[str]]) -> None:
    page.wait_for_load_state()
    screenshot(page, name)
    problems = page_problems(page)
    if problems:
        found[name] = problems


@pytest.mark.urls("tests.sign_in_urls")  # the sign-in page is ours: perscom_oauth/login.html
@pytest.mark.parametrize("size", SIZES)
def test_a_real_client_signs_in_while_chromium_approves(demo: dict[str, Any], size: str) -> None:
    base = demo["base"]
    device = Device(base)
    device.thread.start()
    found: dict[str, list[str]] = {}
    try:
        with chromium_context(**SIZES[size]) as context:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            # The phone opens verification_uri_complete (a QR code, §3.3.1); sign in first.
            page.goto(device.codes["verification_uri_complete"])
            assert "/accounts/login/" in page.url
            page.fill("#id_username", "bob")
            page.fill("#id_password", demo["password"]["bob"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/oauth/device?**")
            code = page.get_by_label("Code")
            assert code.input_value() == device.codes["user_code"]  # prefilled: compare, continue
            assert "Only enter a code shown on a device you are holding" in page.locator("main").inner_text()
            check(page, f"device-code-{size}", found)

            # A wrong code first: told so, in words, beside the field.
            code.fill("BBBB-BBBB")
            page.get_by_role("button", name="Continue").click()
            page.get_by_role("alert").wait_for()
            check(page, f"device-code-wrong-{size}", found)

            code.fill(device.codes["user_code"].lower())
            page.get_by_role("button", name="Continue").click()
            main = page.locator("main")
            main.get_by_text("Connect Demo TV App to your Demo Unit account?").wait_for()
            assert device.codes["user_code"] in main.inner_text()
            assert "See users" in main.inner_text()
            check(page, f"device-confirm-{size}", found)
            page.get_by_role("button", name="Connect Demo TV App").click()
            main.get_by_text("Demo TV App is connected").wait_for()
            check(page, f"device-done-{size}", found)

            # The state people reach next: the same code confirmed again (another tab, a back
            # button): the error page, in words for the member.
            page.goto(f"{base}/oauth/device")
            page.evaluate(RESUBMIT, device.codes["user_code"])
            page.get_by_role("heading", name="This code can no longer be used").wait_for()
            assert "start signing in again" in page.locator("main").inner_text()
            check(page, f"device-code-used-{size}", found)
        device.wait()
        assert found == {}, found
        assert device.token is not None, device.answers
        assert device.token["scope"] == "view:user" and device.token["token_type"] == "Bearer"
        assert "authorization_pending" in device.answers  # it polled while the member decided
        me = device.session.get(f"{base}/api/me")  # with the token Authlib fetched
        assert me.status_code == 200 and me.json()["user"]["username"] == "bob"
    finally:
        device.wait()
        device.session.close()
