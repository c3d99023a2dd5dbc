"""The pages people see, in a real browser at a desktop (1400x900) and a phone (390x844) size,
each light and dark (prefers-color-scheme): sign-in (ours, perscom_oauth/login.html, and after a
wrong password), consent, authorized applications (the revoke confirmation, after a revoke,
after an error, the empty state), sign-out confirmation, signed out, no session, and every
error page (unknown application, damaged link, not a member, plan refused, sign-out refused,
unknown organization). Each passes axe-core with zero violations of any impact, has a title, an
h1 and a main landmark, and never scrolls sideways: in the states people reach them, not only
fresh (issue 20, item 4).
Screenshots go to artifacts/screenshots/ (kept by CI). Two more tests grant and revoke with the
keyboard alone, and with JavaScript off.

The database is touched only before a browser starts: while Playwright's event loop lives in
this thread, Django refuses ORM calls (SynchronousOnlyOperation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model

from perscom_oauth.models import Application, Organization
from tests.axe import page_problems, require_axe
from tests.chromium import TIMEOUT_MS, UNCLAIMED_HOST, chromium_context, screenshot
from tests.demo import seed_demo
from tests.demo_web import CALLBACK, authorize_url, exchange
from tests.oauth import pkce_pair

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1400, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SIZES = {
    "desktop": DESKTOP,
    "phone": PHONE,
    # The pages follow the system's dark mode, as the admin does: contrast checked there too.
    "dark": {**DESKTOP, "color_scheme": "dark"},
    "phone-dark": {**PHONE, "color_scheme": "dark"},
}
SCOPES = "openid profile view:user update:user view:award delete:award"


@pytest.fixture
def demo(live_server: Any) -> dict[str, Any]:
    require_axe()
    data = seed_demo()
    # What a third-party app's developer fills in on the admin's "Consent screen" fieldset.
    Application.objects.filter(client_id="demo-web").update(
        publisher="Demo Software Ltd",
        client_uri="https://demo-web.example.com/",
        policy_uri="https://demo-web.example.com/privacy",
        tos_uri="https://demo-web.example.com/terms",
    )
    data["base"] = live_server.url  # http://localhost:<port>: the demo organization's host
    data["password"] = {user["username"]: user["password"] for user in data["users"]}
    data["secret"] = {app["client_id"]: app["client_secret"] for app in data["applications"]}
    # Someone with an account and no membership of the demo organization (the not-a-member page).
    get_user_model().objects.create_user("outsider", password=OUTSIDER_PASSWORD)
    return data


OUTSIDER_PASSWORD = "outsider-pass-20"


def in_another_thread(work: Callable[[], Any]) -> Any:
    """An ORM call while Playwright's event loop lives in this thread (see the module's docstring)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def set_demo_plan(plan: str) -> None:
    def save() -> None:
        for organization in Organization.objects.all():
            organization.plan = plan
            organization.save()

    in_another_thread(save)


def open_page(size: str) -> Any:
    return chromium_context(**SIZES[size])


@pytest.fixture
def pages() -> Iterator[dict[str, list[str]]]:
    """Problems found, by page; the test fails listing them all at the end."""
    found: dict[str, list[str]] = {}
    yield found


def check(page: Any, name: str, found: dict[str, list[str]], fold: bool = False) -> None:
    page.wait_for_load_state()
    screenshot(page, name, fold)
    problems = page_problems(page)
    if problems:
        found[name] = problems


def consent_url(base: str, challenge: str, scope: str = SCOPES) -> str:
    return authorize_url(base, challenge, scope, nonce="n")


def back_at_the_client(page: Any, action: Any) -> str:
    """Run ``action`` and return where it sent the browser: the client's redirect_uri, which
    nobody serves here (the browser shows its connection error page, waited for)."""
    with page.expect_event("requestfailed", lambda request: request.url.startswith(CALLBACK)) as failed:
        action()
    page.wait_for_url("chrome-error://**")  # Chromium's error page, before the next goto
    return str(failed.value.url)


def sign_in(page: Any, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()


CONTRAST = """(selector) => {
    const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05); };
    const button = document.querySelector(selector);
    const style = getComputedStyle(button);
    const card = getComputedStyle(button.closest('.card')).backgroundColor;
    return {label: ratio(style.color, style.backgroundColor), edge: ratio(style.backgroundColor, card)};
}"""


def decision_in_view(page: Any, name: str) -> None:
    """Issue 20, item 7: the Authorize button is in the window as the page opens, unscrolled."""
    box = page.get_by_role("button", name=name).bounding_box()
    height = page.viewport_size["height"]
    assert page.evaluate("window.scrollY") == 0
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, (box, height)


@pytest.mark.urls("tests.sign_in_urls")  # the sign-in page is ours: perscom_oauth/login.html
@pytest.mark.parametrize("size", SIZES)
def test_every_page_is_accessible_and_fits(
    demo: dict[str, Any], pages: dict[str, list[str]], size: str
) -> None:
    base = demo["base"]
    verifier, challenge = pkce_pair()
    with open_page(size) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)

        # Sign-in, saying which app of which organization asked; then a wrong password.
        page.goto(consent_url(base, challenge))
        assert "/accounts/login/" in page.url
        assert page.title() == "Sign in"  # not "Django administration" (item 6)
        assert "Demo Web App" in page.locator("main").inner_text()
        check(page, f"sign-in-{size}", pages)
        sign_in(page, "bob", "not-the-password")
        page.get_by_role("alert").wait_for()
        check(page, f"sign-in-error-{size}", pages)

        # Consent: bob is a viewer, so update:user and delete:award are asked for and not given.
        sign_in(page, "bob", demo["password"]["bob"])
        page.wait_for_url("**/oauth/authorize?**")
        main = page.locator("main")
        assert "Demo Web App wants to access your Demo Unit account" in main.inner_text()
        assert "Signed in as bob" in main.inner_text()
        assert "Published by Demo Software Ltd (as stated by the developer)" in main.inner_text()
        assert page.locator("#scope-openid").is_disabled() and page.locator("#scope-openid").is_checked()
        refused = page.locator(".not-granted")
        assert "Change users" in refused.inner_text() and "Delete awards" in refused.inner_text()
        assert page.locator("#scope-updateuser").count() == 0  # nothing to tick: it is not offered
        decision_in_view(page, "Authorize Demo Web App")
        # Required and granted looks granted: the brand's solid tick, not the grey of a disabled box.
        required = page.evaluate("getComputedStyle(document.querySelector('#scope-openid')).backgroundColor")
        button = page.evaluate("getComputedStyle(document.querySelector('.btn-primary')).backgroundColor")
        assert required == button, (required, button)
        contrast = page.evaluate(CONTRAST, ".consent-actions .btn-primary")
        assert contrast["label"] >= 4.5 and contrast["edge"] >= 3, contrast  # WCAG 1.4.3, 1.4.11
        check(page, f"consent-{size}", pages, fold=True)
        button = page.get_by_role("button", name="Authorize Demo Web App")
        token = exchange(demo, back_at_the_client(page, button.click), verifier)
        assert token["scope"].split() == ["openid", "profile", "view:user", "view:award"]
        assert "id_token" in token

        # Authorized applications; the revoke confirmation; after an error; after a revoke.
        page.goto(f"{base}/oauth/authorized-apps")
        card = page.locator('[data-client-id="demo-web"]')
        assert "See users" in card.inner_text()
        check(page, f"authorized-apps-{size}", pages)
        card.get_by_role("button", name="Revoke Demo Web App").click()
        confirm = page.get_by_role("button", name="Yes, revoke Demo Web App")
        confirm.wait_for()
        check(page, f"authorized-apps-confirm-{size}", pages)
        # An application that is gone by the time the user confirms (another tab revoked it).
        page.evaluate("document.querySelector('.revoke-confirm button[name=application]').value = '999999'")
        confirm.click()
        page.locator(".messages", has_text="No such application.").wait_for()
        check(page, f"authorized-apps-after-error-{size}", pages)
        page.get_by_role("button", name="Revoke Demo Web App").click()
        page.get_by_role("button", name="Yes, revoke Demo Web App").click()
        page.locator(".messages", has_text="Demo Web App can no longer access your account.").wait_for()
        check(page, f"authorized-apps-revoked-{size}", pages)

        # Requests that cannot go on, signed in: an unknown client, a damaged link.
        page.goto(f"{base}/oauth/authorize?response_type=code&client_id=nobody&redirect_uri={CALLBACK}")
        check(page, f"authorize-error-{size}", pages)
        page.goto(consent_url(base, challenge) + "&nonce=" + "x" * 300)
        page.locator("h1", has_text="This link did not work").wait_for()
        check(page, f"error-damaged-link-{size}", pages)

        # RP-initiated logout: confirmation, then signed out; then nothing to sign out of.
        page.goto(f"{base}/oauth/logout?client_id=demo-web")
        assert "signed in as bob" in page.locator("main").inner_text()
        check(page, f"logout-confirm-{size}", pages)
        page.get_by_role("button", name="Sign out").click()
        page.locator("h1", has_text="You are signed out").wait_for()
        check(page, f"logged-out-{size}", pages)
        page.goto(f"{base}/oauth/logout")
        check(page, f"logout-no-session-{size}", pages)

        # A sign-out request that cannot be accepted, and an unknown organization.
        page.goto(f"{base}/oauth/logout?client_id=nobody")
        check(page, f"error-{size}", pages)
        page.goto(f"{unclaimed(base)}/oauth/authorized-apps")
        page.locator("h1", has_text="This address is not set up for sign-in").wait_for()
        check(page, f"error-unknown-organization-{size}", pages)

        page.goto(f"{base}/")
        check(page, f"demo-home-{size}", pages)

        # A user who authorized nothing: the empty state.
        page.goto(f"{base}/accounts/login/?next=/oauth/authorized-apps")
        sign_in(page, "alice", demo["password"]["alice"])
        page.wait_for_url(f"{base}/oauth/authorized-apps")
        assert "No applications yet" in page.locator("main").inner_text()
        check(page, f"authorized-apps-empty-{size}", pages)

        # The organization's plan lacks OAuth 2.0: what a member is told.
        set_demo_plan("basic")
        page.goto(consent_url(base, challenge))
        page.locator("h1", has_text="Apps cannot use Demo Unit accounts").wait_for()
        check(page, f"error-plan-{size}", pages)
        set_demo_plan("enterprise")

        # Someone who is not a member of the organization.
        page.goto(f"{base}/accounts/login/?next=/oauth/authorized-apps")
        sign_in(page, "outsider", OUTSIDER_PASSWORD)
        page.goto(consent_url(base, challenge))
        page.locator("h1", has_text="You are not a member of Demo Unit").wait_for()
        check(page, f"error-not-a-member-{size}", pages)

    assert not pages, "\n".join(f"{name}: {problem}" for name, found in pages.items() for problem in found)


def unclaimed(base: str) -> str:
    """The live server at a host no demo organization claims (the demo has localhost and
    127.0.0.1; Chromium resolves this one to the live server: tests/chromium.py)."""
    return base.replace("localhost", UNCLAIMED_HOST)


def tab_to(page: Any, text: str) -> None:
    """Press Tab until the focused control's text or label is ``text``; the focus must show."""
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
                const style = getComputedStyle(el);
                return {text: (label || el.innerText || el.value || '').trim(),
                        outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px'};
            }"""
        )
        if focused["text"].startswith(text):
            assert focused["outline"], f"no visible focus on {text!r}"
            return
    raise AssertionError(f"{text!r} cannot be reached with the Tab key")


def test_consent_and_revoke_with_the_keyboard_alone(demo: dict[str, Any]) -> None:
    base = demo["base"]
    verifier, challenge = pkce_pair()
    with open_page("desktop") as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(consent_url(base, challenge, scope="openid view:user view:award"))
        tab_to(page, "Username")  # the label of the focused field
        page.keyboard.type("bob")
        page.keyboard.press("Tab")
        page.keyboard.type(demo["password"]["bob"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/oauth/authorize?**")

        tab_to(page, "See awards")
        page.keyboard.press("Space")  # untick: the user narrows the grant
        assert not page.locator("#scope-viewaward").is_checked()
        tab_to(page, "Authorize Demo Web App")
        token = exchange(demo, back_at_the_client(page, lambda: page.keyboard.press("Enter")), verifier)
        assert token["scope"].split() == ["openid", "view:user"]

        page.goto(f"{base}/oauth/authorized-apps")
        tab_to(page, "Revoke Demo Web App")
        page.keyboard.press("Enter")
        page.wait_for_url("**revoke=*")
        tab_to(page, "Yes, revoke Demo Web App")
        page.keyboard.press("Enter")
        page.locator(".messages", has_text="Demo Web App can no longer access your account.").wait_for()
        assert page.locator('[data-client-id="demo-web"]').count() == 0
        screenshot(page, "authorized-apps-revoked-keyboard-desktop")  # not the axe-checked one

    me = requests.get(
        f"{base}/api/me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert me.status_code == 401


def test_consent_and_revoke_without_javascript(demo: dict[str, Any]) -> None:
    base = demo["base"]
    verifier, challenge = pkce_pair()
    with chromium_context(java_script_enabled=False, **SIZES["phone"]) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(consent_url(base, challenge, scope="openid view:user update:user"))
        sign_in(page, "alice", demo["password"]["alice"])
        page.wait_for_url("**/oauth/authorize?**")
        page.get_by_label("Change users").uncheck()
        button = page.get_by_role("button", name="Authorize Demo Web App")
        token = exchange(demo, back_at_the_client(page, button.click), verifier)
        assert token["scope"].split() == ["openid", "view:user"]

        page.goto(f"{base}/oauth/authorized-apps")
        page.get_by_role("button", name="Revoke Demo Web App").click()
        page.get_by_role("button", name="Yes, revoke Demo Web App").click()
        page.locator(".messages", has_text="Demo Web App can no longer access your account.").wait_for()
    refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    refused = requests.post(
        f"{base}/oauth/token", data=refresh, auth=("demo-web", demo["secret"]["demo-web"]), timeout=10
    )
    assert refused.status_code == 400  # revoked: the refresh token is dead too
