"""Hostile input that used to be a server error (issue 19, L8): a resource indicator Python
cannot parse, and digits that ``str.isdigit()`` accepts but ``int()`` refuses. Each gets the
protocol's error or the page's ordinary answer for a bad value, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from perscom_oauth.models import Application
from tests.admin_support import CHANGELISTS, messages_of
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db

#: A digit for str.isdigit(), and one that int() reads as 1 (so it could name row 1).
ARABIC_ONE = "\u0661"


@pytest.mark.parametrize("value", ["²", ARABIC_ONE, "1²", "99999999999999999999999"])
def test_authorized_apps_revoke_with_a_strange_number(
    oauth: OAuthClient, member: Any, app: Application, value: str
) -> None:
    token = oauth.code_flow(member, app).json()
    browser = oauth.client()
    browser.force_login(member)
    response = browser.post("/oauth/authorized-apps/", {"application": value}, follow=True)
    assert response.status_code == 200
    assert "No such application." in messages_of(response)
    assert oauth.api(token["access_token"]).status_code == 200  # nothing was revoked
    assert browser.get("/oauth/authorized-apps/", {"revoke": value}).status_code == 200


@pytest.mark.parametrize("value", ["²", ARABIC_ONE, "99999999999999999999999"])
@pytest.mark.parametrize("parameter", ["organization", "application", "user"])
def test_admin_authorizations_filter_with_a_strange_number(
    admin: Client, oauth: OAuthClient, member: Any, app: Application, parameter: str, value: str
) -> None:
    oauth.code_flow(member, app)
    response = admin.get(CHANGELISTS["authorizations"], {parameter: value})
    # Not a number: no filter at all, as for any other text (the list is unchanged).
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1
    assert parameter not in response.context["chosen"]


@pytest.mark.parametrize("key", ["²:1", "1:²", f"{ARABIC_ONE}:{ARABIC_ONE}", "99999999999999999999999:1"])
def test_admin_authorizations_revoke_with_a_strange_number(
    admin: Client, oauth: OAuthClient, member: Any, app: Application, key: str
) -> None:
    token = oauth.code_flow(member, app).json()
    response = admin.post(CHANGELISTS["authorizations"], {"revoke": key})
    assert response.status_code == 302
    assert "No authorization was revoked" in " ".join(messages_of(admin.get(response["Location"])))
    assert oauth.api(token["access_token"]).status_code == 200
