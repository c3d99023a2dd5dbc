"""The admin and the "Authorized applications" page in a real browser (Chromium via Playwright)
against a live server, with screenshots of the main pages saved under artifacts/screenshots/.

The database is only touched before a browser starts and after it closes: while Playwright's
event loop lives in this thread, Django refuses ORM calls (SynchronousOnlyOperation).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from perscom_oauth.models import Application, AuditEvent
from tests.axe import require_axe, violations
from tests.browser import Browser
from tests.chromium import TIMEOUT_MS, chromium_context, screenshot
from tests.demo import seed_demo
from tests.demo_web import authorize_url, exchange
from tests.oauth import pkce_pair

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server: Any) -> dict[str, Any]:
    data = seed_demo()
    data["base"] = live_server.url  # http://localhost:<port>: the demo organization's host
    data["password"] = {user["username"]: user["password"] for user in data["users"]}
    data["secret"] = {app["client_id"]: app["client_secret"] for app in data["applications"]}
    return data


@contextmanager
def chromium(base: str) -> Iterator[Any]:
    with chromium_context(viewport={"width": 1400, "height": 1000}) as context:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page


def admin_login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")


def user_token(demo: dict[str, Any], username: str) -> str:
    """The user authorizes demo-web (plain HTTP, as in test_live_flow); returns an access token."""
    verifier, challenge = pkce_pair()
    with Browser() as browser:
        login = browser.open(authorize_url(demo["base"], challenge, scope="view:user"))
        consent = browser.follow(
            browser.submit(login, {"username": username, "password": demo["password"][username]})
        )
        redirect = browser.submit(consent, {"allow": "Authorize"})
    return str(exchange(demo, redirect.headers["Location"], verifier)["access_token"])


def api(base: str, token: str) -> requests.Response:
    return requests.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_admin_creates_an_application_copies_its_secret_and_suspends_it(demo: dict[str, Any]) -> None:
    require_axe()
    base = demo["base"]
    with chromium(base) as page:
        admin_login(page, base, "alice", demo["password"]["alice"])
        page.goto(f"{base}/admin/perscom_oauth/application/add/")
        page.fill("#id_name", "CI Machine")
        page.locator(".field-organization .select2-selection").click()
        page.locator(".select2-search__field").fill("Demo")
        page.locator(".select2-results__option", has_text="Demo Unit").click()
        page.get_by_label("Machine-to-Machine").check()
        page.fill("#id_description", "Created by the browser test")
        # The scope picker: "all scopes" switches the groups off; a group's box selects it.
        picker = page.locator("[data-scope-picker]")
        picker.locator("[data-all-scopes]").check()
        assert picker.locator('[data-scope-group="user"] .scope-option input').first.is_disabled()
        # ...and the counter says all of them (issue 20: it read "0 of 17 scopes selected").
        chosen, _of, total, *_rest = picker.locator("[data-scope-count]").inner_text().split()
        assert chosen == total and int(total) > 0
        picker.locator("[data-all-scopes]").uncheck()
        picker.locator("[data-scope-filter]").fill("user")
        assert picker.locator('[data-scope-group="rank"]').is_hidden()
        picker.locator('[data-scope-group="user"] [data-select-group]').check()
        assert "4 of" in picker.locator("[data-scope-count]").inner_text()
        screenshot(page, "admin-application-add")
        page.locator("input[name=_save]").click()

        # The one-time secret page: copy it with the button, as a developer would.
        secret_box = page.locator("#client-secret")
        secret = secret_box.input_value()
        client_id = page.locator("#client-id").input_value()
        page.locator('[data-copy="client-secret"]').click()
        page.locator('[data-copy="client-secret"]', has_text="Copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        token = requests.post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials", "scope": "view:user"},
            auth=(client_id, secret),
            timeout=10,
        )
        assert token.status_code == 200, token.text
        access_token = token.json()["access_token"]
        assert api(base, access_token).status_code == 200
        # Shown whole (not cut off in a text box), the two Copy buttons one above the other.
        shown = page.locator("#client-secret-text")
        assert shown.inner_text() == secret
        assert shown.evaluate("el => el.scrollWidth <= el.clientWidth")
        buttons = [box.bounding_box() for box in page.locator("[data-copy]").all()]
        assert buttons[0]["x"] == buttons[1]["x"] and buttons[0]["width"] == buttons[1]["width"]
        assert violations(page) == []
        page.evaluate(
            "document.getElementById('client-secret-text').textContent = '•'.repeat(128)"
        )  # not in CI artifacts
        screenshot(page, "admin-application-secret-once")

        # Never shown again: the change page, the list, the history.
        page.get_by_role("link", name="I have stored the secret: continue").click()
        page.wait_for_url("**/change/")
        page.locator("#endpoints").wait_for()
        assert secret not in page.content()
        assert f"{base}/oauth/token" in page.locator("#endpoints").inner_text()
        screenshot(page, "admin-application-change")
        change_url = page.url
        for url in (f"{base}/admin/perscom_oauth/application/", change_url.replace("/change/", "/history/")):
            page.goto(url)
            assert secret not in page.content()
        screenshot(page, "admin-application-history")
        page.goto(f"{base}/admin/perscom_oauth/application/")
        screenshot(page, "admin-applications")

        # Suspend it: its token stops working, with a clear error.
        page.goto(change_url)
        page.locator('button[data-action="suspend"]').click()
        assert "Suspended 1 application" in page.locator(".messagelist").inner_text()
        refused = api(base, access_token)
        assert refused.status_code == 401
        assert "The application 'CI Machine' is suspended." in refused.headers["WWW-Authenticate"]

    application = Application.objects.get(name="CI Machine")
    assert not application.enabled
    assert secret not in application.client_secret
    assert [e.event for e in AuditEvent.objects.filter(application=application).order_by("pk")] == [
        "application_created",
        "token_issued",
        "application_suspended",
    ]


def test_admin_revokes_a_users_grant(demo: dict[str, Any]) -> None:
    base = demo["base"]
    token = user_token(demo, "bob")
    assert api(base, token).status_code == 200
    with chromium(base) as page:
        admin_login(page, base, "alice", demo["password"]["alice"])
        page.goto(f"{base}/admin/perscom_oauth/application/authorizations/")
        row = page.locator("tr", has_text="bob").filter(has_text="Demo Web App")
        assert "view:user" in row.inner_text()
        screenshot(page, "admin-authorizations")
        row.get_by_role("button", name="Revoke").click()
        assert "Revoked 1 authorization." in page.locator(".messagelist").inner_text()
        assert page.locator("tr", has_text="bob").count() == 0
        assert api(base, token).status_code == 401

        for name, url in (
            ("admin-access-tokens", "/admin/oauth2_provider/accesstoken/"),
            ("admin-refresh-tokens", "/admin/oauth2_provider/refreshtoken/?status=revoked"),
            ("admin-audit-trail", "/admin/perscom_oauth/auditevent/"),
            ("admin-index", "/admin/"),
        ):
            page.goto(f"{base}{url}")
            assert token not in page.content()
            screenshot(page, name)

    revoked = AuditEvent.objects.get(event="tokens_revoked")
    assert (revoked.actor.username, revoked.actor_type, revoked.subject) == ("alice", "admin", "bob")


def test_user_revokes_an_app_on_the_authorized_applications_page(demo: dict[str, Any]) -> None:
    base = demo["base"]
    token = user_token(demo, "bob")
    with chromium(base) as page:
        page.goto(f"{base}/oauth/authorized-apps")
        assert "/accounts/login/" in page.url
        page.fill("#id_username", "bob")
        page.fill("#id_password", demo["password"]["bob"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/oauth/authorized-apps")
        app = page.locator('[data-client-id="demo-web"]')
        assert "See users" in app.inner_text()
        app.get_by_role("button", name="Revoke Demo Web App").click()
        page.get_by_role("button", name="Yes, revoke Demo Web App").click()
        message = page.locator(".messages")
        message.wait_for()
        assert "Demo Web App can no longer access your account." in message.inner_text()
        assert page.locator('[data-client-id="demo-web"]').count() == 0
        assert api(base, token).status_code == 401

    revoked = AuditEvent.objects.get(event="tokens_revoked")
    assert (revoked.actor.username, revoked.actor_type) == ("bob", "user")


def test_scope_picker_with_many_scopes(demo: dict[str, Any], settings: Any) -> None:
    verbs = ("view", "edit", "list", "sync", "audit")
    extra = {
        f"{verb}:resource{n:02d}": f"{verb.capitalize()} resource {n}" for n in range(30) for verb in verbs
    }
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "EXTRA_SCOPES": extra}
    base = demo["base"]
    with chromium(base) as page:
        admin_login(page, base, "alice", demo["password"]["alice"])
        page.goto(f"{base}/admin/perscom_oauth/application/add/")
        boxes = page.locator(".scope-option input")
        assert boxes.count() >= 140
        page.fill("#id_name", "Many Scopes")
        page.locator(".field-organization .select2-selection").click()
        page.locator(".select2-search__field").fill("Demo")
        page.locator(".select2-results__option", has_text="Demo Unit").click()
        page.get_by_label("Machine-to-Machine").check()
        picker = page.locator("[data-scope-picker]")
        picker.locator("[data-scope-filter]").fill("resource07")
        visible = [group for group in picker.locator("[data-scope-group]").all() if group.is_visible()]
        assert len(visible) == 1
        visible[0].locator("[data-select-group]").check()
        screenshot(page, "admin-scope-picker")
        page.locator("input[name=_save]").click()
        page.locator("#client-secret-text").wait_for()

    allowed = Application.objects.get(name="Many Scopes").allowed_scopes.split()
    assert sorted(allowed) == sorted(f"{verb}:resource07" for verb in verbs)


SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def clipped_columns(page: Any) -> int:
    """How far the result table runs past its box (the admin's lists scroll it sideways)."""
    return int(
        page.evaluate(
            """() => {
                const box = document.querySelector('#changelist .results, .authorizations-list .results');
                return box ? box.scrollWidth - box.clientWidth : 0;
            }"""
        )
    )


@pytest.mark.parametrize("size", SIZES)
def test_admin_pages_are_accessible_and_fit(demo: dict[str, Any], size: str) -> None:
    require_axe()
    base = demo["base"]
    user_token(demo, "bob")  # an authorization and audit entries to list
    demo_web = Application.objects.get(client_id="demo-web").pk
    audit_entry = AuditEvent.objects.exclude(details={}).order_by("-pk").first().pk
    found: dict[str, list[str]] = {}
    with chromium_context(**SIZES[size]) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        admin_login(page, base, "alice", demo["password"]["alice"])
        pages = {
            "application-list": "/admin/perscom_oauth/application/",
            "application-add": "/admin/perscom_oauth/application/add/",
            "application-change": f"/admin/perscom_oauth/application/{demo_web}/change/",
            "authorizations": "/admin/perscom_oauth/application/authorizations/",
            "audit-list": "/admin/perscom_oauth/auditevent/",
            "audit-entry": f"/admin/perscom_oauth/auditevent/{audit_entry}/change/",
        }
        for name, path in pages.items():
            page.goto(f"{base}{path}")
            screenshot(page, f"admin-{name}-{size}")
            problems = violations(page)
            if size == "desktop" and clipped_columns(page) > 0:
                problems.append(f"result table clipped by {clipped_columns(page)} px")
            # Against the layout width: a phone's visual viewport zooms out to fit what overflows.
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"page scrolls sideways by {overflow} px")
            if problems:
                found[name] = problems
        # The audit entry's details are a readable list, not raw JSON.
        page.goto(f"{base}/admin/perscom_oauth/auditevent/{audit_entry}/change/")
        assert page.locator(".field-details_list dl").count() == 1
        assert "{" not in page.locator(".field-details_list").inner_text()
    assert not found, "\n".join(
        f"{name}: {problem}" for name, problems in found.items() for problem in problems
    )
