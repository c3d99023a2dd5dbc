"""The seed's flow through the public endpoints: authorize, token, API, refresh, revoke."""

from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application
from tests.factories import REDIRECT_URI, SECRET, ApplicationFactory
from tests.oauth import OAuthClient, basic_auth, pkce_pair

pytestmark = pytest.mark.django_db


def test_code_flow_with_pkce_and_secret_in_body(oauth: OAuthClient, member: Any, app: Application) -> None:
    response = oauth.code_flow(member, app)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"  # RFC 6749 §5.1
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == "view:user"
    me = oauth.api(token["access_token"]).json()
    assert me["user"]["username"] == "member"
    assert me["organization"]["slug"] == "alpha"
    assert me["scopes"] == ["view:user"]
    assert me["client_id"] == "alpha-web"


def test_code_flow_with_http_basic_client_authentication(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    verifier, challenge = pkce_pair()
    query = oauth.authorize(member, app, code_challenge=challenge, code_challenge_method="S256")
    response = oauth.client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert response.status_code == 200, response.content


def test_authorization_response_carries_state_and_issuer(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    query = oauth.authorize(member, app)
    assert query["state"] == "state-1"
    assert query["iss"] == f"http://{oauth.host}"  # RFC 9207


def test_seed_flow_without_pkce_works_for_a_confidential_client(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    """The seed's curl examples send no PKCE; RFC 9700 §2.1.1 allows that for confidential clients."""
    query = oauth.authorize(member, app)
    response = oauth.exchange(app, query["code"])
    assert response.status_code == 200, response.content


def test_public_client_has_no_secret_and_must_use_pkce(oauth: OAuthClient, member: Any, org: Any) -> None:
    spa = ApplicationFactory(organization=org, client_type=Application.CLIENT_PUBLIC)
    spa.refresh_from_db()
    assert spa.client_secret == ""

    browser = oauth.client()
    browser.force_login(member)
    response = browser.get(
        "/oauth/authorize",
        {"response_type": "code", "client_id": spa.client_id, "redirect_uri": REDIRECT_URI, "state": "s"},
    )
    assert response.status_code == 302
    assert "error=invalid_request" in response["Location"]
    assert "Code+challenge+required" in response["Location"]

    code, verifier = oauth.pkce_code(member, spa)
    response = oauth.exchange(spa, code, client_secret=None, code_verifier=verifier)
    assert response.status_code == 200, response.content


def test_plain_pkce_method_is_refused(oauth: OAuthClient, member: Any, app: Application) -> None:
    response = oauth.authorization_request(
        member,
        client_id=app.client_id,
        state="s",
        scope="view:user",
        code_challenge="a" * 43,
        code_challenge_method="plain",
        allow="1",
    )
    assert response.status_code == 302
    assert "error=" in response["Location"]  # RFC 9700 §2.1.1: S256 only
    assert "code=" not in response["Location"]


def test_wrong_code_verifier_is_invalid_grant(oauth: OAuthClient, member: Any, app: Application) -> None:
    _verifier, challenge = pkce_pair()
    query = oauth.authorize(member, app, code_challenge=challenge, code_challenge_method="S256")
    response = oauth.exchange(app, query["code"], code_verifier=pkce_pair()[0])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_then_revoke(oauth: OAuthClient, member: Any, app: Application) -> None:
    first = oauth.code_flow(member, app).json()

    refreshed = oauth.refresh(app, first["refresh_token"], scope="view:user")
    assert refreshed.status_code == 200, refreshed.content
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]  # rotated
    assert oauth.api(second["access_token"]).status_code == 200

    revoked = oauth.client().post(
        "/oauth/revoke",
        {"token": second["access_token"], "token_type_hint": "access_token"},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert revoked.status_code == 200  # RFC 7009 §2.2
    refused = oauth.api(second["access_token"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]


def test_revoking_a_refresh_token_stops_it_refreshing(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app).json()
    assert oauth.api(token["access_token"]).status_code == 200
    oauth.client().post(
        "/oauth/revoke",
        {"token": token["refresh_token"], "client_id": app.client_id, "client_secret": SECRET},
    )
    assert oauth.api(token["access_token"]).status_code == 401  # its access token goes too
    response = oauth.refresh(app, token["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/token/"])
def test_paths_take_no_trailing_slash_but_tolerate_one(
    oauth: OAuthClient, member: Any, app: Application, path: str
) -> None:
    query = oauth.authorize(member, app)
    response = oauth.client().post(
        path,
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "client_secret": SECRET,
        },
    )
    assert response.status_code == 200


def test_bearer_token_in_query_string_is_not_accepted(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app).json()["access_token"]
    response = oauth.client().get("/api/me", {"access_token": token})
    assert response.status_code in (401, 403)  # RFC 9700 §4.3.2: header only


def test_authorize_requires_login(oauth: OAuthClient, app: Application) -> None:
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT_URI}
    response = oauth.client().get("/oauth/authorize", {**params, "scope": "view:user"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # The request is validated first (RFC 6749 §4.1.2.1): an error the client can be told of
    # goes back to it at once, rather than after the user has signed in.
    response = oauth.client().get("/oauth/authorize", params)
    assert response["Location"].startswith(f"{REDIRECT_URI}?error=invalid_scope")


def test_non_member_cannot_authorize(oauth: OAuthClient, app: Application, django_user_model: Any) -> None:
    outsider = django_user_model.objects.create_user("outsider", password="pw")
    response = oauth.authorization_request(outsider, "get", client_id=app.client_id)
    assert response.status_code == 403
    assert b"not a member of Alpha Unit" in response.content
