"""Security review findings 1 and 2: only an access token is an access token, and only while its
user is an active member of the organization (RFC 6750 §3.1, OIDC Core §2, RFC 8725 §2.8)."""

from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application, Membership, Organization
from project.demo.models import Rank
from tests.conftest import make_member, role
from tests.factories import SECRET, ApplicationFactory, OrganizationFactory
from tests.oauth import OAuthClient, basic_auth, host_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

PROTECTED = ["/api/me", "/api/ranks/", "/plain/ranks", "/oauth/userinfo"]


@pytest.fixture
def issued(oauth: OAuthClient, member: Any, app: Application) -> dict[str, Any]:
    """A code flow with openid: an access token, a refresh token and an ID token."""
    response = oauth.code_flow(member, app, scope="openid view:rank view:user")
    assert response.status_code == 200
    token = response.json()
    assert {"access_token", "refresh_token", "id_token"} <= set(token)
    return token


def assert_invalid_token(response: Any) -> None:
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_access_token_is_honoured(oauth: OAuthClient, issued: dict[str, Any]) -> None:
    # Control for every refusal below.
    for path in PROTECTED:
        assert oauth.api(issued["access_token"], path).status_code == 200, path


@pytest.mark.parametrize("kind", ["id_token", "refresh_token", "code", "client_secret"])
def test_no_other_credential_is_an_access_token(
    oauth: OAuthClient, member: Any, app: Application, issued: dict[str, Any], kind: str
) -> None:
    value = {
        "code": oauth.authorize(member, app, "view:rank")["code"],
        "client_secret": SECRET,
    }.get(kind) or issued[kind]
    for path in PROTECTED:
        assert_invalid_token(oauth.api(value, path))
    created = oauth.client().post("/api/ranks/", {"name": "Forged"}, HTTP_AUTHORIZATION=f"Bearer {value}")
    assert_invalid_token(created)
    assert not Rank.objects.exists()


def test_id_token_is_refused_on_every_host_and_state(
    oauth: OAuthClient, member: Any, app: Application, issued: dict[str, Any], org: Organization
) -> None:
    id_token = issued["id_token"]
    # Another Enterprise organization where the user is a member too, and a Basic-plan one.
    other = OrganizationFactory(slug="charlie")
    basic = OrganizationFactory(slug="delta", plan=Organization.Plan.BASIC)
    for tenant in (other, basic):
        Membership.objects.create(user=member, organization=tenant)
        assert_invalid_token(OAuthClient(host_of(tenant)).api(id_token))
    # An unknown host: never a 500.
    assert OAuthClient("nowhere.example.test").api(id_token).status_code in (401, 404)
    # After the access token is revoked, and while the application is suspended.
    auth = basic_auth(app.client_id)
    oauth.client().post("/oauth/revoke", {"token": issued["access_token"]}, HTTP_AUTHORIZATION=auth)
    assert_invalid_token(oauth.api(id_token))
    Application.objects.filter(pk=app.pk).update(enabled=False)
    assert_invalid_token(oauth.api(id_token))


@pytest.mark.parametrize("separator", ["\t", "  ", "\t\t"])
def test_malformed_bearer_separator_is_refused_not_a_500(
    oauth: OAuthClient, issued: dict[str, Any], separator: str
) -> None:
    for value in (issued["access_token"], issued["id_token"]):
        for path in PROTECTED:
            response = oauth.client().get(path, HTTP_AUTHORIZATION=f"Bearer{separator}{value}")
            assert response.status_code == 401, (path, response.status_code)


# --- finding 2: a removed or deactivated member keeps nothing ---------------------------------


@pytest.fixture
def bob(org: Organization) -> Any:
    return make_member(org, "bob", role("Viewer", "view"))


def bob_tokens(oauth: OAuthClient, bob: Any, app: Application) -> dict[str, Any]:
    return oauth.code_flow(bob, app, scope="openid profile view:user").json()


def introspect(oauth: OAuthClient, app: Application, token: str) -> dict[str, Any]:
    response = oauth.client().post(
        "/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("removal", ["membership deleted", "user deactivated"])
def test_removed_member_is_refused_on_every_path(
    oauth: OAuthClient, app: Application, bob: Any, org: Organization, removal: str
) -> None:
    tokens = bob_tokens(oauth, bob, app)
    assert introspect(oauth, app, tokens["access_token"])["active"] is True
    if removal == "membership deleted":
        Membership.objects.filter(user=bob, organization=org).delete()
    else:
        bob.is_active = False  # as the admin does: saved, so every cached state of bob's goes
        bob.save()

    for path in ("/api/me", "/oauth/userinfo", "/plain/ranks"):
        assert_invalid_token(oauth.api(tokens["access_token"], path))
    assert introspect(oauth, app, tokens["access_token"]) == {"active": False}
    refreshed = oauth.refresh(app, tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    password = ApplicationFactory(
        organization=org, client_id="alpha-pw", authorization_grant_type=Application.GRANT_PASSWORD
    )
    by_password = oauth.token(
        grant_type="password",
        username="bob",
        password="pw",
        scope="openid",
        client_id=password.client_id,
        client_secret=SECRET,
    )
    assert by_password.status_code == 400


def test_code_issued_before_removal_is_not_exchanged(oauth: OAuthClient, app: Application, bob: Any) -> None:
    query = oauth.authorize(bob, app, "openid")
    Membership.objects.filter(user=bob).delete()
    response = oauth.token(
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=app.redirect_uris,
        client_id=app.client_id,
        client_secret=SECRET,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_session_of_a_non_member_gets_nothing_from_the_api(oauth: OAuthClient, bob: Any) -> None:
    browser = oauth.client()
    browser.force_login(bob)
    assert browser.get("/api/me").status_code == 200
    Membership.objects.filter(user=bob).delete()
    assert browser.get("/api/me").status_code == 403
    assert browser.get("/plain/ranks").status_code == 403


def test_session_at_an_unknown_host_is_refused_not_a_500(member: Any) -> None:
    browser = OAuthClient("nowhere.example.test").client()
    browser.force_login(member)
    for path in ("/api/me", "/api/ranks/", "/plain/ranks"):
        assert browser.get(path).status_code == 403, path
