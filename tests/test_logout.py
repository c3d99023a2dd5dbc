"""OpenID Connect RP-Initiated Logout 1.0 (§2, §3) through the HTTP surface: nobody is signed
out, and no token revoked, without the signed-in user's confirmation; a confirmation revokes
only what the user agreed to, in this organization only."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from oauth2_provider.settings import oauth2_settings

from perscom_oauth.models import Application, AuditEvent
from tests.browser import form_fields
from tests.conftest import make_member
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, host_of

pytestmark = pytest.mark.django_db

BYE = "https://rp.example/bye"


@pytest.fixture
def mobile(org: Any) -> Application:
    """A second application of the same organization."""
    return ApplicationFactory(organization=org, client_id="alpha-mobile", name="Alpha Mobile")


def sign_in(oauth: OAuthClient, user: Any, application: Any) -> dict[str, str]:
    """Tokens (with an ID token: the app signs with RS256) from a full code flow."""
    response = oauth.code_flow(user, application, scope="openid view:user")
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["id_token"]
    return tokens


def works(oauth: OAuthClient, tokens: dict[str, str]) -> bool:
    return oauth.api(tokens["access_token"]).status_code == 200


def refreshes(oauth: OAuthClient, tokens: dict[str, str], application: Any) -> bool:
    response = oauth.refresh(application, tokens["refresh_token"])
    return response.status_code == 200


def browser_of(oauth: OAuthClient, user: Any) -> Client:
    """The user's browser, signed in to the organization's dashboard, CSRF enforced."""
    browser = Client(HTTP_HOST=oauth.host, enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def signed_in(browser: Client) -> bool:
    return "_auth_user_id" in browser.session


def confirm(browser: Client, page: Any, **choices: str) -> Any:
    """Submit the confirmation form as shown (hidden fields, CSRF token) plus the user's choice."""
    assert page.status_code == 200, page.content[:300]
    return browser.post("/oauth/logout", {**form_fields(page.content.decode()), **choices})


def revocations() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=AuditEvent.Event.TOKENS_REVOKED).order_by("pk"))


# --- nobody signed in: nothing is revoked ------------------------------------------------------


def test_anonymous_logout_link_revokes_nothing(oauth: OAuthClient, app: Application, member: Any) -> None:
    # The finding: this GET alone used to revoke the user's tokens in every app of the organization.
    tokens = sign_in(oauth, member, app)
    response = Client(HTTP_HOST=oauth.host).get("/oauth/logout", {"id_token_hint": tokens["id_token"]})
    assert works(oauth, tokens)
    assert refreshes(oauth, tokens, app)
    assert revocations() == []
    assert response.status_code == 200
    assert "no Alpha Unit session here to end" in response.content.decode()


def test_anonymous_post_with_a_hint_revokes_nothing(
    oauth: OAuthClient, app: Application, member: Any
) -> None:
    tokens = sign_in(oauth, member, app)
    response = Client(HTTP_HOST=oauth.host).post(
        "/oauth/logout", {"id_token_hint": tokens["id_token"], "allow": "yes", "everywhere": "on"}
    )
    assert works(oauth, tokens)
    assert revocations() == []
    assert response.status_code == 200


def test_anonymous_logout_returns_to_a_registered_uri_without_revoking(
    oauth: OAuthClient, app: Application, member: Any
) -> None:
    app.post_logout_redirect_uris = BYE
    app.save()
    tokens = sign_in(oauth, member, app)
    response = Client(HTTP_HOST=oauth.host).get(
        "/oauth/logout",
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": BYE, "state": "s-1"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BYE}?state=s-1"
    assert works(oauth, tokens)


# --- signed in: a confirmation page first ------------------------------------------------------


@pytest.mark.parametrize("always_prompt", [True, False])
def test_signed_in_user_is_asked_first(
    oauth: OAuthClient, app: Application, member: Any, monkeypatch: Any, always_prompt: bool
) -> None:
    # §2: the OP asks the End-User, even for a matching hint when the base library would not.
    monkeypatch.setattr(oauth2_settings, "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT", always_prompt)
    tokens = sign_in(oauth, member, app)
    browser = browser_of(oauth, member)
    page = browser.get("/oauth/logout", {"id_token_hint": tokens["id_token"]})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Sign out of Alpha Unit?</title>" in html
    assert "<main" in html and "<h1>Sign out of Alpha Unit?</h1>" in html
    assert "<strong>member</strong>" in html  # the signed-in account
    assert f"<strong>{app.name}</strong> asks to sign you out" in html
    assert f"{app.name}'s access to your account ends" in html
    assert '<label for="id_everywhere">Also sign out of all other apps of Alpha Unit</label>' in html
    assert "everywhere" not in form_fields(html)  # the option is off by default
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert works(oauth, tokens)
    assert signed_in(browser)
    assert revocations() == []


def test_confirm_revokes_only_the_requesting_apps_tokens(
    oauth: OAuthClient, app: Application, mobile: Application, member: Any
) -> None:
    web, phone = sign_in(oauth, member, app), sign_in(oauth, member, mobile)
    browser = browser_of(oauth, member)
    page = browser.get("/oauth/logout", {"id_token_hint": web["id_token"]})
    done = confirm(browser, page, allow="yes")
    assert done.status_code == 200
    assert "You are signed out" in done.content.decode()
    assert not signed_in(browser)
    assert not works(oauth, web)
    assert not refreshes(oauth, web, app)
    assert works(oauth, phone)  # another app of the same user keeps its access
    assert refreshes(oauth, phone, mobile)
    [event] = revocations()
    assert (event.actor, event.actor_type, event.subject) == (member, "user", "member")
    assert event.application == app
    assert event.details["reason"] == "RP-initiated logout"


def test_confirm_by_client_id_without_a_hint(
    oauth: OAuthClient, app: Application, mobile: Application, member: Any
) -> None:
    web, phone = sign_in(oauth, member, app), sign_in(oauth, member, mobile)
    browser = browser_of(oauth, member)
    confirm(browser, browser.get("/oauth/logout", {"client_id": mobile.client_id}), allow="yes")
    assert works(oauth, web)
    assert not works(oauth, phone)


def test_the_option_revokes_every_app_of_this_organization_only(
    oauth: OAuthClient,
    app: Application,
    mobile: Application,
    member: Any,
    other_org: Any,
    admin_role: Group,
) -> None:
    web, phone = sign_in(oauth, member, app), sign_in(oauth, member, mobile)
    make_member(other_org, "member", admin_role)  # the same user, also a member of Bravo
    bravo = OAuthClient(host_of(other_org))
    elsewhere = sign_in(bravo, member, ApplicationFactory(organization=other_org, client_id="bravo-web"))
    browser = browser_of(oauth, member)
    page = browser.get("/oauth/logout", {"id_token_hint": web["id_token"]})
    confirm(browser, page, allow="yes", everywhere="on")
    assert not signed_in(browser)
    assert not works(oauth, web)
    assert not works(oauth, phone)
    assert works(bravo, elsewhere)  # never another organization's tokens
    [event] = revocations()
    assert event.organization.slug == "alpha"
    assert event.actor == member


def test_cancel_revokes_nothing(oauth: OAuthClient, app: Application, member: Any) -> None:
    tokens = sign_in(oauth, member, app)
    browser = browser_of(oauth, member)
    page = browser.get("/oauth/logout", {"id_token_hint": tokens["id_token"]})
    response = confirm(browser, page, cancel="cancel", everywhere="on")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert works(oauth, tokens)
    assert signed_in(browser)
    assert revocations() == []


def logout_page_returning_to_bye(oauth: OAuthClient, app: Application, member: Any, state: str) -> Any:
    """Signed in, asked to log out by the app with a registered post-logout URI."""
    app.post_logout_redirect_uris = BYE
    app.save()
    tokens = sign_in(oauth, member, app)
    browser = browser_of(oauth, member)
    page = browser.get(
        "/oauth/logout",
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": BYE, "state": state},
    )
    return tokens, browser, page


def test_cancel_returns_to_a_registered_uri(oauth: OAuthClient, app: Application, member: Any) -> None:
    tokens, browser, page = logout_page_returning_to_bye(oauth, app, member, "s-2")
    response = confirm(browser, page)
    assert response.status_code == 302
    assert response["Location"] == f"{BYE}?state=s-2"
    assert works(oauth, tokens)
    assert signed_in(browser)


def test_confirm_needs_the_csrf_token(oauth: OAuthClient, app: Application, member: Any) -> None:
    tokens = sign_in(oauth, member, app)
    browser = browser_of(oauth, member)
    response = browser.post("/oauth/logout", {"id_token_hint": tokens["id_token"], "allow": "yes"})
    assert response.status_code == 403
    assert works(oauth, tokens)
    assert signed_in(browser)


# --- the hint names someone else ---------------------------------------------------------------


def test_hint_of_another_user_revokes_nothing_of_theirs(
    oauth: OAuthClient, app: Application, member: Any, viewer_role: Group
) -> None:
    alice = sign_in(oauth, member, app)
    bob_user = make_member(app.organization, "bob", viewer_role)
    bob = sign_in(oauth, bob_user, app)
    browser = browser_of(oauth, bob_user)
    page = browser.get("/oauth/logout", {"id_token_hint": alice["id_token"]})
    html = page.content.decode()
    assert "<strong>bob</strong>" in html
    assert "asked to sign out a different account" in html
    assert "member" not in html  # the hint's account is not disclosed
    assert works(oauth, alice) and works(oauth, bob)

    confirm(browser, page, allow="yes", everywhere="on")
    assert works(oauth, alice)  # never signed out on the strength of the hint
    assert refreshes(oauth, alice, app)
    assert not works(oauth, bob)  # the signed-in user confirmed their own logout
    assert not signed_in(browser)
    assert [event.subject for event in revocations()] == ["bob"]


# --- without any client ------------------------------------------------------------------------


@pytest.mark.parametrize("everywhere", [False, True])
def test_logout_without_a_client(oauth: OAuthClient, app: Application, member: Any, everywhere: bool) -> None:
    tokens = sign_in(oauth, member, app)
    browser = browser_of(oauth, member)
    page = browser.get("/oauth/logout")
    html = page.content.decode()
    assert "Apps you have authorized keep their access unless you choose otherwise" in html
    assert '<label for="id_everywhere">Also sign out of all apps of Alpha Unit</label>' in html
    confirm(browser, page, allow="yes", **({"everywhere": "on"} if everywhere else {}))
    assert not signed_in(browser)
    assert works(oauth, tokens) is not everywhere


def test_anonymous_logout_without_a_client_is_a_page(oauth: OAuthClient, app: Application) -> None:
    response = Client(HTTP_HOST=oauth.host).get("/oauth/logout")
    assert response.status_code == 200
    assert "<h1>You are not signed in</h1>" in response.content.decode()


# --- post_logout_redirect_uri ------------------------------------------------------------------


def test_confirmed_logout_redirects_to_a_registered_uri_with_state(
    oauth: OAuthClient, app: Application, member: Any
) -> None:
    tokens, browser, page = logout_page_returning_to_bye(oauth, app, member, "s-3")
    done = confirm(browser, page, allow="yes")
    assert done.status_code == 302
    location = urlparse(done["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == BYE
    assert parse_qs(location.query) == {"state": ["s-3"]}
    assert not works(oauth, tokens)


@pytest.mark.parametrize("uri", ["https://evil.example/bye", f"{BYE}/more", "javascript:alert(1)"])
def test_an_unregistered_uri_is_refused(oauth: OAuthClient, app: Application, member: Any, uri: str) -> None:
    app.post_logout_redirect_uris = BYE
    app.save()
    tokens = sign_in(oauth, member, app)
    browser = browser_of(oauth, member)
    for client in (browser, Client(HTTP_HOST=oauth.host)):
        response = client.get(
            "/oauth/logout",
            {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": uri, "state": "s"},
        )
        assert response.status_code == 400
        assert not response.has_header("Location")
    # Nor on the confirming POST, whatever the form was tampered with.
    page = browser.get("/oauth/logout", {"id_token_hint": tokens["id_token"]})
    response = confirm(browser, page, allow="yes", post_logout_redirect_uri=uri)
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert works(oauth, tokens)
    assert signed_in(browser)


def test_another_organizations_hint_is_refused(
    oauth: OAuthClient, member: Any, other_org: Any, admin_role: Group
) -> None:
    make_member(other_org, "member", admin_role)
    bravo = OAuthClient(host_of(other_org))
    tokens = sign_in(bravo, member, ApplicationFactory(organization=other_org, client_id="bravo-web"))
    browser = browser_of(oauth, member)
    response = browser.get("/oauth/logout", {"id_token_hint": tokens["id_token"]})
    assert response.status_code == 400
    assert works(bravo, tokens)
    assert signed_in(browser)
