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
    assert "Can view user" in user_group and "Can update user" in user_group
    assert "Can create award" in page[page.index('data-resource="award"') :]
    assert page.count('name="approved_scopes"') == 4
    assert "disabled" not in page


def test_scopes_the_user_lacks_are_shown_but_not_offered(
    oauth: OAuthClient, org: Organization, viewer_role: Group, app: Application
) -> None:
    page = consent_page(oauth, make_member(org, "viewer", viewer_role), app)
    assert page.count("disabled") == 2  # update:user, create:award
    assert page.count("you do not have this permission") == 2


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
    browser = oauth.client()
    browser.force_login(member)
    response = browser.post(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": ASKED,
            "state": "s",
            "allow": "Authorize",
        },
    )
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["error"] == ["access_denied"]  # RFC 6749 §4.1.2.1
    assert "code" not in query
