"""Hostile input that used to be a server error (issue 19, L8): a resource indicator Python
cannot parse, and digits that ``str.isdigit()`` accepts but ``int()`` refuses. Each gets the
protocol's error or the page's ordinary answer for a bad value, never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from perscom_oauth.models import Application
from tests.admin_support import CHANGELISTS, messages_of
from tests.factories import REDIRECT_URI, SECRET
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db

#: urlsplit() raises ValueError ("Invalid IPv6 URL") on these, and the base library calls it.
UNPARSEABLE = ["http://[::1/", "https://[v1.x/api", "http://]/"]
#: A digit for str.isdigit(), and one that int() reads as 1 (so it could name row 1).
ARABIC_ONE = "\u0661"


def answer(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 302, (response.status_code, response.content[:300])
    location = response["Location"]
    assert location.startswith(REDIRECT_URI), location
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("resource", UNPARSEABLE)
def test_an_unparseable_resource_at_authorize_is_invalid_target(
    oauth: OAuthClient, member: Any, app: Application, resource: str
) -> None:
    """RFC 8707 §2: a malformed resource is ``invalid_target``, sent back to the client's
    (validated) redirect URI with its state and our issuer (RFC 9207)."""
    params = {"client_id": app.client_id, "scope": "view:user", "state": "st", "resource": resource}
    shown = answer(oauth.authorization_request(member, "get", **params))
    assert (shown["error"], shown["state"], shown["iss"]) == (
        ["invalid_target"],
        ["st"],
        [f"http://{oauth.host}"],
    )
    # Only a tampered consent form has one (get() refused it): an error page, not a redirect
    # to a redirect URI the form also carries.
    posted = oauth.authorization_request(member, "post", **params, approved_scopes=["view:user"], allow="1")
    assert posted.status_code == 400
    assert "invalid_target" in posted.content.decode()


@pytest.mark.parametrize("resource", UNPARSEABLE)
def test_an_unparseable_resource_at_the_token_endpoint_is_invalid_target(
    oauth: OAuthClient, machine: Application, member: Any, app: Application, resource: str
) -> None:
    machine_answer = oauth.token(
        grant_type="client_credentials",
        client_id=machine.client_id,
        client_secret=SECRET,
        scope="view:user",
        resource=resource,
    )
    assert machine_answer.status_code == 400
    assert machine_answer.json()["error"] == "invalid_target"
    assert machine_answer["Cache-Control"] == "no-store"
    code, verifier = oauth.pkce_code(member, app)
    exchanged = oauth.exchange(app, code, code_verifier=verifier, resource=resource)
    assert exchanged.status_code == 400
    assert exchanged.json()["error"] == "invalid_target"


def test_a_good_resource_still_works(oauth: OAuthClient, machine: Application) -> None:
    response = oauth.token(
        grant_type="client_credentials",
        client_id=machine.client_id,
        client_secret=SECRET,
        scope="view:user",
        resource="https://api.example.test/",
    )
    assert response.status_code == 200, response.content


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
