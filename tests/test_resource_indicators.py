"""RFC 8707 resource indicators: a token is bound to the resource its authorization named,
through every grant, and refused elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db

ELSEWHERE = "https://other.example.com/api/"


@pytest.fixture
def audience(oauth: OAuthClient) -> str:
    return f"http://{oauth.host}/api/"


def test_the_code_exchange_keeps_the_resource_the_authorization_named(
    oauth: OAuthClient, member: Any, app: Application, audience: str
) -> None:
    # RFC 8707 §2.2: a token request without `resource` gets the resources of the grant. The
    # code used to be spent before the base library read its resources, so the token came out
    # bound to nothing: valid for every resource.
    token = oauth.code_flow(member, app, resource=audience).json()
    assert oauth.api(token["access_token"]).status_code == 200
    introspected = (
        oauth.client()
        .post(
            "/oauth/introspect",
            {"token": token["access_token"]},
            HTTP_AUTHORIZATION=basic_auth(app.client_id),
        )
        .json()
    )
    assert introspected["active"] is True
    assert introspected.get("aud") in (audience, [audience]), introspected


def test_a_token_bound_to_another_resource_is_refused_here(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app, resource=ELSEWHERE).json()
    assert oauth.api(token["access_token"]).status_code == 401
    assert oauth.api(token["access_token"]).status_code == 401  # and from the token cache


def test_refresh_keeps_the_binding(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, resource=ELSEWHERE).json()
    refreshed = oauth.refresh(app, token["refresh_token"]).json()
    assert oauth.api(refreshed["access_token"]).status_code == 401


def test_a_machine_token_asked_for_another_resource_is_refused_here(
    oauth: OAuthClient, machine: Application, audience: str
) -> None:
    def token_for(resource: str) -> str:
        response = oauth.client().post(
            "/oauth/token",
            {"grant_type": "client_credentials", "scope": "view:user", "resource": resource},
            HTTP_AUTHORIZATION=basic_auth(machine.client_id),
        )
        assert response.status_code == 200, response.content
        return str(response.json()["access_token"])

    assert oauth.api(token_for(ELSEWHERE)).status_code == 401
    assert oauth.api(token_for(audience)).status_code == 200
