"""Strict tenant isolation: clients, tokens and users never cross organizations."""

from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application, Organization
from tests.factories import REDIRECT_URI, SECRET, MembershipFactory
from tests.oauth import OAuthClient, basic_auth, host_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def bravo(other_org: Organization) -> OAuthClient:
    return OAuthClient(host_of(other_org))


def test_client_on_another_organizations_host_is_invalid_client(bravo: OAuthClient, app: Application) -> None:
    in_body = bravo.token(grant_type="client_credentials", client_id=app.client_id, client_secret=SECRET)
    in_header = bravo.client().post(
        "/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    for response in (in_body, in_header):
        assert response.status_code == 401  # RFC 6749 §5.2
        assert response.json()["error"] == "invalid_client"


def test_code_and_refresh_token_cannot_be_redeemed_on_another_host(
    oauth: OAuthClient, bravo: OAuthClient, member: Any, app: Application
) -> None:
    code = oauth.authorize(member, app)["code"]
    response = bravo.exchange(app, code)
    assert response.json()["error"] == "invalid_client"

    token = oauth.code_flow(member, app).json()
    response = bravo.refresh(app, token["refresh_token"])
    assert response.json()["error"] == "invalid_client"


def test_authorize_with_another_organizations_client_is_refused(
    bravo: OAuthClient, other_org: Organization, member: Any, app: Application
) -> None:
    MembershipFactory(user=member, organization=other_org)
    browser = bravo.client()
    browser.force_login(member)
    response = browser.get(
        "/oauth/authorize",
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT_URI},
    )
    assert response.status_code == 400  # never redirected to the foreign client's URI
    assert "Invalid client_id parameter value." in response.content.decode()


def test_token_on_another_organizations_host_is_invalid_token(
    oauth: OAuthClient, bravo: OAuthClient, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app).json()["access_token"]
    response = bravo.api(token)
    assert response.status_code == 401  # RFC 6750 §3.1
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert oauth.api(token).status_code == 200


def test_revoking_from_another_organizations_host_is_refused(
    oauth: OAuthClient, bravo: OAuthClient, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app).json()["access_token"]
    response = bravo.revoke(app, token)
    assert response.status_code == 401
    assert oauth.api(token).status_code == 200


def test_member_of_one_organization_cannot_authorize_for_another(
    bravo: OAuthClient, other_org: Organization, member: Any
) -> None:
    foreign_app = Application.objects.create(
        organization=other_org,
        name="Bravo app",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
    )
    response = bravo.authorization_request(member, "get", client_id=foreign_app.client_id)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/oauth/authorize"),
        ("post", "/oauth/authorize"),
        ("post", "/oauth/token"),
        ("post", "/oauth/revoke"),
    ],
)
def test_unknown_host_is_404_on_every_oauth_endpoint(
    member: Any, app: Application, method: str, path: str, client: Any
) -> None:
    client.force_login(member)
    response = getattr(client, method)(
        path, {"client_id": app.client_id}, HTTP_HOST="nobody.example.test:8443"
    )
    assert response.status_code == 404
    assert "nobody.example.test" in response.content.decode()


def test_token_on_unknown_host_is_invalid_token(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app).json()["access_token"]
    response = OAuthClient("nobody.example.test").api(token)
    assert response.status_code == 401
    assert "No organization answers at this host" in response["WWW-Authenticate"]


def test_port_is_ignored_when_resolving_the_organization(
    member: Any, app: Application, org: Organization
) -> None:
    token = OAuthClient(f"{host_of(org)}:8443").code_flow(member, app)
    assert token.status_code == 200
    assert OAuthClient(host_of(org).upper()).api(token.json()["access_token"]).status_code == 200


def test_default_organization_answers_on_unclaimed_hosts(
    settings: Any, member: Any, app: Application, org: Organization
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "DEFAULT_ORGANIZATION": org.slug}
    token = OAuthClient("dashboard.single-tenant.test").code_flow(member, app)
    assert token.status_code == 200


def test_suspended_application_neither_gets_nor_uses_tokens(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app).json()
    app.enabled = False
    app.save()

    assert oauth.api(token["access_token"]).status_code == 401
    refreshed = oauth.refresh(app, token["refresh_token"])
    assert refreshed.json()["error"] == "invalid_client"

    app.enabled = True
    app.save()
    assert oauth.api(token["access_token"]).status_code == 200
