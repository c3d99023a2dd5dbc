"""The consent screen shows what is asked, grouped by resource, and lets the user narrow it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Group

from perscom_oauth.models import Application, Organization
from tests.conftest import make_member
from tests.factories import REDIRECT_URI
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db
ASKED = "view:user update:user view:award create:award"


def consent_page(oauth: OAuthClient, user: Any, app: Application, scope: str = ASKED) -> str:
    browser = oauth.client()
    browser.force_login(user)
    response = browser.get(
        "/oauth/authorize",
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT_URI, "scope": scope},
    )
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    return response.content.decode()


def test_scopes_are_listed_with_descriptions_grouped_by_resource(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    page = consent_page(oauth, member, app)
    assert page.index('data-resource="user"') < page.index('data-resource="award"')
    user_group = page[page.index('data-resource="user"') : page.index('data-resource="award"')]
    assert "See users" in user_group and "Change users" in user_group
    assert "Add awards" in page[page.index('data-resource="award"') :]
    assert page.count('name="approved_scopes"') == 4
    assert "disabled" not in page
    # Read and write are told apart in words, not only by colour.
    assert user_group.count("badge-read") == 1 and user_group.count("badge-write") == 1


def test_scopes_the_user_lacks_are_shown_but_not_offered(
    oauth: OAuthClient, org: Organization, viewer_role: Group, app: Application
) -> None:
    page = consent_page(oauth, make_member(org, "viewer", viewer_role), app)
    offered, refused = page.split('class="not-granted"')
    # Issue 20, item 7: "will be able to:" heads only what the app will get ...
    assert "will be able to:" in offered and "will be able to:" not in refused
    assert 'value="view:user"' in offered and 'value="view:award"' in offered
    assert 'value="update:user"' not in offered and 'value="create:award"' not in offered
    assert "Change users" not in offered and "Add awards" not in offered
    # ... and what it asked for and will not get is apart, with no checkbox to tick.
    assert "also asked for these, and will not get them:" in refused
    assert 'data-scope="update:user"' in refused and 'data-scope="create:award"' in refused
    assert "Change users" in refused and "Add awards" in refused
    assert "<input" not in refused.split("</section>")[0]
    assert page.count("permission-unavailable") == 2
    assert page.count("Your role in Alpha Unit does not have this permission.") == 2
    assert "An administrator of your organization can add them to your role" in refused
    assert "line-through" not in page


def test_nothing_offered_is_said_in_words(
    oauth: OAuthClient, org: Organization, viewer_role: Group, app: Application
) -> None:
    page = consent_page(oauth, make_member(org, "viewer", viewer_role), app, scope="update:user")
    offered = page.split('class="not-granted"')[0]
    assert "Nothing: you do not have any of the permissions it asked for in Alpha Unit." in offered
    assert "approved_scopes" not in page


def test_unticked_scopes_are_not_granted(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, scope=ASKED, approved_scopes="view:award view:user")
    assert token.status_code == 200
    assert token.json()["scope"] == "view:user view:award"  # RFC 6749 §5.1: what was granted
    me = oauth.api(token.json()["access_token"]).json()
    assert me["scopes"] == ["view:award", "view:user"]


def test_tampered_approval_cannot_add_scopes(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, scope="view:user", approved_scopes="view:user delete:user")
    assert token.json()["scope"] == "view:user"


def test_approving_nothing_is_a_refusal(oauth: OAuthClient, member: Any, app: Application) -> None:
    response = oauth.authorization_request(
        member, client_id=app.client_id, scope=ASKED, state="s", allow="Authorize"
    )
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["error"] == ["access_denied"]  # RFC 6749 §4.1.2.1
    assert "code" not in query


def test_the_screen_says_who_asks_who_answers_where_to_and_for_how_long(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    app.name, app.publisher = "Roster Sync", "Sync Labs"
    app.client_uri, app.logo_uri = "https://sync.example.com/about", "https://sync.example.com/logo.png"
    app.policy_uri, app.tos_uri = "https://sync.example.com/privacy", "https://sync.example.com/terms"
    app.refresh_token_absolute_lifetime = 30 * 86400
    app.save()
    page = consent_page(oauth, member, app, scope="view:user")
    assert "<h1>Roster Sync wants to access your Alpha Unit account</h1>" in page
    # Issue 20, item 7: the publisher is the developer's own claim, and reads as one.
    assert "Published by Sync Labs" in page and "(as stated by the developer)" in page
    assert "Homepage: sync.example.com" in page
    assert 'src="https://sync.example.com/logo.png"' in page
    assert (
        'href="https://sync.example.com/privacy"' in page and 'href="https://sync.example.com/terms"' in page
    )
    assert "Signed in as <strong>member</strong>" in page
    assert "Not you?" in page and "/accounts/login/?next=%2Foauth%2Fauthorize%3F" in page
    assert f"sent to <strong>{urlparse(REDIRECT_URI).netloc}</strong>" in page
    assert "at most 30 days" in page and "unused for 14 days" in page
    assert 'href="/oauth/authorized-apps"' in page
    assert "Authorize Roster Sync" in page


def test_a_host_project_words_scopes_its_own_way(
    oauth: OAuthClient, member: Any, app: Application, settings: Any
) -> None:
    settings.PERSCOM_OAUTH = {
        **settings.PERSCOM_OAUTH,
        "SCOPE_DESCRIPTIONS": {"view:user": "Read the roster"},
    }
    page = consent_page(oauth, member, app, scope="view:user view:award")
    assert "Read the roster" in page and "See users" not in page
    assert "See awards" in page


def test_openid_is_required_and_cannot_be_unticked(oauth: OAuthClient, member: Any, app: Application) -> None:
    page = consent_page(oauth, member, app, scope="openid view:user")
    account = page[page.index('data-resource="account"') : page.index('data-resource="user"')]
    assert "Required" in account and "checked disabled" in account
    # Issue 20, item 7: required and granted, not unavailable (the browser test looks at it).
    assert "permission-required" in account and "permission-unavailable" not in account
    assert 'name="approved_scopes" value="openid"' not in page  # not a choice
    # OIDC Core §3.1.2.1: a form without openid still yields the ID token the client asked for.
    token = oauth.code_flow(member, app, scope="openid view:user", approved_scopes="view:user", nonce="n")
    assert token.status_code == 200
    assert "id_token" in token.json()
    assert token.json()["scope"].split() == ["openid", "view:user"]


def test_what_the_client_registered_is_shown_as_text(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    app.name, app.publisher, app.description = "<b>Evil</b>", "<i>Pub</i>", "<script>alert(1)</script>"
    app.save()
    page = consent_page(oauth, member, app, scope="view:user")
    assert "<b>" not in page and "<i>Pub" not in page and "<script>alert" not in page
    assert "&lt;b&gt;Evil&lt;/b&gt; wants to access your Alpha Unit account" in page


@pytest.mark.parametrize(
    ("client_id", "redirect_uri", "title", "words"),
    [
        ("nobody", REDIRECT_URI, "Unknown application", "is not registered here"),
        (None, "https://evil.example/cb", "This request cannot be completed", "has not registered"),
    ],
)
def test_a_request_that_cannot_go_on_is_explained_in_plain_words(
    oauth: OAuthClient,
    member: Any,
    app: Application,
    client_id: str | None,
    redirect_uri: str,
    title: str,
    words: str,
) -> None:
    browser = oauth.client()
    browser.force_login(member)
    query = {"response_type": "code", "client_id": client_id or app.client_id, "redirect_uri": redirect_uri}
    response = browser.get("/oauth/authorize", {**query, "scope": "view:user"})
    assert response.status_code in (400, 401)  # RFC 6749 §4.1.2.1: shown, never redirected
    page = response.content.decode()
    assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
    assert words in page
    details = page[page.index('class="error-details"') :]
    assert "invalid_request" in details  # the code, in small print
    assert "/accounts/login/" not in response.get("Location", "")


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>", " javascript:x"]
)
def test_only_web_links_are_rendered_even_for_stored_rows(
    oauth: OAuthClient, member: Any, app: Application, url: str
) -> None:
    """Issue 19, L5: a row written past the model's validation (an update, an old row) still
    renders no script or data link: not the logo, homepage, privacy policy or terms."""
    Application.objects.filter(pk=app.pk).update(
        publisher="Acme", client_uri=url, logo_uri=url, policy_uri=url, tos_uri=url
    )
    page = consent_page(oauth, member, app)
    assert "javascript:" not in page and "data:" not in page
    assert "app-logo-placeholder" in page  # the initial instead of the image
    assert "privacy policy" not in page and "terms of service" not in page
    authorized = oauth.client()
    authorized.force_login(member)
    oauth.code_flow(member, app)
    listed = authorized.get("/oauth/authorized-apps/").content.decode()
    assert "javascript:" not in listed and "data:" not in listed


def test_web_links_are_rendered(oauth: OAuthClient, member: Any, app: Application) -> None:
    Application.objects.filter(pk=app.pk).update(
        client_uri="https://acme.example.test/",
        logo_uri="https://acme.example.test/logo.png",
        policy_uri="http://acme.example.test/privacy",
        tos_uri="https://acme.example.test/terms",
    )
    page = consent_page(oauth, member, app)
    for url in (
        'href="https://acme.example.test/"',
        'src="https://acme.example.test/logo.png"',
        'href="http://acme.example.test/privacy"',
        'href="https://acme.example.test/terms"',
    ):
        assert url in page
