"""Enterprise plan gating: every path that issues or honours a token refuses without the plan."""

from __future__ import annotations

import html
from typing import Any

import pytest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from perscom_oauth.models import Application, Organization
from tests.factories import REDIRECT_URI, SECRET, ApplicationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db

PLAN_MESSAGE = "OAuth 2.0 requires the Enterprise plan; organization 'Alpha Unit' is on the Pro plan."


def set_plan(org: Organization, plan: str) -> None:
    org.plan = plan
    org.save()


@pytest.fixture
def machine(org: Organization) -> Application:
    return ApplicationFactory(
        organization=org, client_id="alpha-m2m", authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )


def client_credentials_token(oauth: OAuthClient, machine: Application) -> str:
    response = oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth(machine.client_id),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_authorize_shows_the_plan_error(
    oauth: OAuthClient, org: Organization, member: Any, app: Application
) -> None:
    set_plan(org, "pro")
    browser = oauth.client()
    browser.force_login(member)
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT_URI, "state": "s"}

    shown = browser.get("/oauth/authorize", params)
    approved = browser.post("/oauth/authorize", {**params, "scope": "view:user", "allow": "Authorize"})

    for response in (shown, approved):
        assert response.status_code == 403
        assert PLAN_MESSAGE in html.unescape(response.content.decode())
    assert not app.grant_set.exists()


@pytest.mark.parametrize(
    "grant",
    [
        {"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI},
        {"grant_type": "refresh_token", "refresh_token": "x"},
        {"grant_type": "client_credentials"},
        {"grant_type": "password", "username": "member", "password": "pw"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x"},
        {"grant_type": "made_up"},
    ],
    ids=lambda grant: grant["grant_type"].rsplit(":", 1)[-1],
)
def test_token_endpoint_refuses_every_grant_type(
    oauth: OAuthClient, org: Organization, app: Application, grant: dict[str, str]
) -> None:
    set_plan(org, "pro")
    response = oauth.client().post(
        "/oauth/token", {**grant, "client_id": app.client_id, "client_secret": SECRET}
    )

    assert response.status_code == 400  # RFC 6749 §5.2
    assert response.json() == {"error": "unauthorized_client", "error_description": PLAN_MESSAGE}
    assert response["Cache-Control"] == "no-store"


def test_api_refuses_existing_user_and_machine_tokens(
    oauth: OAuthClient, org: Organization, member: Any, app: Application, machine: Application
) -> None:
    user_token = oauth.code_flow(member, app).json()["access_token"]
    machine_token = client_credentials_token(oauth, machine)
    assert oauth.api(machine_token).status_code == 200

    set_plan(org, "basic")

    for token in (user_token, machine_token):
        response = oauth.api(token)
        assert response.status_code == 401  # RFC 6750 §3.1
        challenge = response["WWW-Authenticate"]
        assert 'error="invalid_token"' in challenge
        assert "requires the Enterprise plan" in challenge
        assert "requires the Enterprise plan" in response.json()["detail"]


def test_downgrade_then_upgrade_restores_tokens_and_deletes_nothing(
    oauth: OAuthClient, org: Organization, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app).json()
    counts = (get_access_token_model().objects.count(), get_refresh_token_model().objects.count())

    set_plan(org, "pro")
    assert oauth.api(token["access_token"]).status_code == 401
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": token["refresh_token"],
        "client_id": app.client_id,
        "client_secret": SECRET,
    }
    assert oauth.token(**refresh).status_code == 400
    assert (get_access_token_model().objects.count(), get_refresh_token_model().objects.count()) == counts
    assert Application.objects.filter(pk=app.pk, enabled=True).exists()

    set_plan(org, "enterprise")
    assert oauth.api(token["access_token"]).status_code == 200
    assert oauth.token(**refresh).status_code == 200


def test_revocation_still_works_without_the_plan(
    oauth: OAuthClient, org: Organization, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app).json()
    set_plan(org, "basic")

    response = oauth.revoke(app, token["refresh_token"])

    assert response.status_code == 200
    set_plan(org, "enterprise")
    assert oauth.api(token["access_token"]).status_code == 401


def test_plans_with_oauth_is_a_setting(
    oauth: OAuthClient, org: Organization, settings: Any, app: Application
) -> None:
    set_plan(org, "pro")
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "PLANS_WITH_OAUTH": ["pro", "enterprise"]}
    response = oauth.exchange(app, "nope")
    assert response.json()["error"] == "invalid_grant"  # gate passed; the made-up code is refused
