"""RFC 7662 token introspection, for an organization's own clients about its own tokens."""

from __future__ import annotations

import calendar
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application, Membership, Organization
from tests.conftest import role
from tests.factories import SECRET, ApplicationFactory, MembershipFactory
from tests.oauth import OAuthClient, basic_auth, host_of

pytestmark = pytest.mark.django_db

INTROSPECT = "/oauth/introspect"
INACTIVE = {"active": False}
PLAN_MESSAGE = "OAuth 2.0 requires the Enterprise plan; organization 'Alpha Unit' is on the Pro plan."


@pytest.fixture
def machine(org: Organization) -> Application:
    return ApplicationFactory(
        organization=org, client_id="alpha-m2m", authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )


@pytest.fixture
def token(oauth: OAuthClient, member: Any, app: Application) -> dict[str, Any]:
    response = oauth.code_flow(member, app, scope="view:rank create:rank openid")
    assert response.status_code == 200, response.content
    return response.json()


def introspect(oauth: OAuthClient, value: str, client_id: str = "alpha-web", **extra: Any) -> Any:
    return oauth.client().post(
        INTROSPECT, {"token": value}, HTTP_AUTHORIZATION=basic_auth(client_id), **extra
    )


def expiry_of(value: str) -> int:
    expires = get_access_token_model().objects.get(token_checksum=checksum(value)).expires
    return calendar.timegm(expires.utctimetuple())


def test_active_token_of_the_organization(oauth: OAuthClient, member: Any, token: dict[str, Any]) -> None:
    # RFC 7662 §2.2: active, with its scope, client, type, expiry, issuer and user.
    response = introspect(oauth, token["access_token"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body == {
        "active": True,
        "scope": "create:rank openid view:rank",  # space-separated, sorted
        "client_id": "alpha-web",
        "token_type": "Bearer",
        "exp": expiry_of(token["access_token"]),
        "iss": "http://alpha.example.test",  # the issuer of the organization's metadata
        "sub": str(member.pk),  # as in the ID token and userinfo (OIDC Core §2, §5.3.2)
        "username": "member",
        "organization": "alpha",
    }
    assert isinstance(body["exp"], int)
    now = int(timezone.now().timestamp())
    assert now + 3590 <= body["exp"] <= now + 3600  # ACCESS_TOKEN_EXPIRE_SECONDS


def test_client_may_authenticate_in_the_body(oauth: OAuthClient, token: dict[str, Any]) -> None:
    # RFC 7662 §2.1 with RFC 6749 §2.3.1 client_secret_post.
    response = oauth.client().post(
        INTROSPECT, {"token": token["access_token"], "client_id": "alpha-web", "client_secret": SECRET}
    )
    assert response.status_code == 200
    assert response.json()["active"] is True
    assert response.json()["username"] == "member"


def test_get_is_refused_so_tokens_stay_out_of_urls(oauth: OAuthClient, token: dict[str, Any]) -> None:
    # RFC 7662 §2.1: POST only (a GET puts live tokens in access logs).
    response = oauth.client().get(
        INTROSPECT, {"token": token["access_token"]}, HTTP_AUTHORIZATION=basic_auth("alpha-web")
    )
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "invalid_request"
    assert introspect(oauth, token["access_token"]).json()["active"] is True


def test_machine_token_has_no_username(oauth: OAuthClient, machine: Application, app: Application) -> None:
    # RFC 7662 §2.2: sub and username are about the resource owner; a client_credentials token
    # has none.
    issued = oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user view:rank"},
        HTTP_AUTHORIZATION=basic_auth(machine.client_id),
    )
    assert issued.status_code == 200, issued.content
    value = issued.json()["access_token"]

    body = introspect(oauth, value, client_id=machine.client_id).json()
    assert body == {
        "active": True,
        "scope": "view:rank view:user",
        "client_id": "alpha-m2m",
        "token_type": "Bearer",
        "exp": expiry_of(value),
        "iss": "http://alpha.example.test",
        "organization": "alpha",
    }
    # Another client of the same organization sees the same answer.
    assert introspect(oauth, value).json() == body


def test_expired_token_is_inactive(oauth: OAuthClient, token: dict[str, Any]) -> None:
    # RFC 7662 §2.2: an expired token is simply not active, with nothing else said.
    get_access_token_model().objects.filter(token_checksum=checksum(token["access_token"])).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    response = introspect(oauth, token["access_token"])
    assert response.status_code == 200
    assert response.json() == INACTIVE


def test_revoked_token_is_inactive(oauth: OAuthClient, token: dict[str, Any]) -> None:
    # RFC 7009 §2 then RFC 7662 §2.2.
    assert introspect(oauth, token["access_token"]).json()["active"] is True
    revoked = oauth.client().post(
        "/oauth/revoke", {"token": token["access_token"]}, HTTP_AUTHORIZATION=basic_auth("alpha-web")
    )
    assert revoked.status_code == 200
    assert introspect(oauth, token["access_token"]).json() == INACTIVE


def test_token_of_a_suspended_application_is_inactive(
    oauth: OAuthClient, token: dict[str, Any], app: Application, machine: Application
) -> None:
    app.enabled = False
    app.save()
    # Asked by another (enabled) client of the organization: the suspended app cannot ask.
    assert introspect(oauth, token["access_token"], client_id=machine.client_id).json() == INACTIVE
    app.enabled = True
    app.save()
    assert introspect(oauth, token["access_token"], client_id=machine.client_id).json()["active"] is True


def test_suspended_application_cannot_introspect(
    oauth: OAuthClient, token: dict[str, Any], app: Application
) -> None:
    app.enabled = False
    app.save()
    response = introspect(oauth, token["access_token"])
    assert response.status_code == 401  # RFC 7662 §2.1, RFC 6749 §5.2
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("value", ["unknown-token", "x" * 5000, "\u00e9\u2603"])
def test_unknown_token_is_inactive(oauth: OAuthClient, app: Application, value: str) -> None:
    response = introspect(oauth, value)
    assert response.status_code == 200
    assert response.json() == INACTIVE


def test_refresh_token_is_not_an_active_access_token(oauth: OAuthClient, token: dict[str, Any]) -> None:
    # Only access tokens are introspected here; a refresh token is not one.
    assert introspect(oauth, token["refresh_token"]).json() == INACTIVE


@pytest.mark.parametrize("data", [{}, {"token": ""}, {"token_type_hint": "access_token"}])
def test_missing_token_is_invalid_request(oauth: OAuthClient, app: Application, data: dict[str, str]) -> None:
    # RFC 7662 §2.1: token is REQUIRED; RFC 6749 §5.2 invalid_request.
    response = oauth.client().post(INTROSPECT, data, HTTP_AUTHORIZATION=basic_auth("alpha-web"))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": "Token parameter is missing."}


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"HTTP_AUTHORIZATION": basic_auth("alpha-web", "wrong-secret")},
        {"HTTP_AUTHORIZATION": basic_auth("nobody")},
    ],
    ids=["none", "wrong-secret", "unknown-client"],
)
def test_caller_must_authenticate_as_a_client(
    oauth: OAuthClient, token: dict[str, Any], auth: dict[str, str]
) -> None:
    # RFC 7662 §2.1 / §4: no anonymous token scanning; RFC 6749 §5.2 invalid_client.
    response = oauth.client().post(INTROSPECT, {"token": token["access_token"]}, **auth)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }


def test_bearer_token_is_no_client_authentication(oauth: OAuthClient, token: dict[str, Any]) -> None:
    # RFC 7662 §2.1: DOT's fallback to a bearer token with an "introspection" scope never
    # applies here (no such scope in the registry): a user's token cannot scan tokens.
    response = oauth.client().post(
        INTROSPECT, {"token": token["access_token"]}, HTTP_AUTHORIZATION=f"Bearer {token['access_token']}"
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_of_another_organization_is_invalid_client(
    oauth: OAuthClient, token: dict[str, Any], other_org: Organization
) -> None:
    # RFC 6749 §5.2: on this organization's host, another organization's client is unknown.
    ApplicationFactory(organization=other_org, client_id="bravo-web")
    for auth in (
        {"HTTP_AUTHORIZATION": basic_auth("bravo-web")},
        {"data": {"token": token["access_token"], "client_id": "bravo-web", "client_secret": SECRET}},
    ):
        data = auth.pop("data", {"token": token["access_token"]})
        response = oauth.client().post(INTROSPECT, data, **auth)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


def test_another_organizations_token_is_inactive(
    oauth: OAuthClient, other_org: Organization, app: Application, member: Any, admin_role: Any
) -> None:
    # RFC 7662 §2.2 / §4: a client learns nothing about tokens of another tenant.
    bravo = OAuthClient(host_of(other_org))
    bravo_app = ApplicationFactory(organization=other_org, client_id="bravo-web")
    MembershipFactory(user=member, organization=other_org).roles.set([admin_role])
    foreign = bravo.code_flow(member, bravo_app).json()["access_token"]

    assert introspect(oauth, foreign).json() == INACTIVE
    # The same token, asked about on its own host by its own organization's client, is active.
    assert introspect(bravo, foreign, client_id="bravo-web").json()["active"] is True


def test_plan_downgrade_refuses_introspection(
    oauth: OAuthClient, org: Organization, token: dict[str, Any]
) -> None:
    org.plan = "pro"
    org.save()
    response = introspect(oauth, token["access_token"])
    assert response.status_code == 403
    assert response.json() == {"error": "access_denied", "error_description": PLAN_MESSAGE}


def test_scope_shrinks_when_the_user_loses_a_permission(
    oauth: OAuthClient, org: Organization, member: Any, token: dict[str, Any]
) -> None:
    # RFC 7662 §2.2 scope: what the token may do now (granted ∩ held), not what was granted.
    assert introspect(oauth, token["access_token"]).json()["scope"] == "create:rank openid view:rank"
    membership = Membership.objects.get(user=member, organization=org)
    membership.roles.set([role("Viewer", "view")])

    body = introspect(oauth, token["access_token"]).json()
    assert body["active"] is True
    assert body["scope"] == "openid view:rank"


def test_scope_shrinks_when_the_application_loses_an_allowed_scope(
    oauth: OAuthClient, app: Application, token: dict[str, Any]
) -> None:
    app.allowed_scopes = "openid view:rank"
    app.save()
    assert introspect(oauth, token["access_token"]).json()["scope"] == "openid view:rank"


def test_every_introspection_answer_is_never_cached(
    oauth: OAuthClient, token: dict[str, Any], machine: Application
) -> None:
    """Issue 19, L6: an answer says whether a token works, and for whom (RFC 7662 §4; as token
    responses, RFC 6749 §5.1): no cache may keep it, active or not."""
    answers = [
        introspect(oauth, token["access_token"]),
        introspect(oauth, "not-a-token"),
        oauth.client().post(INTROSPECT, {"token": token["access_token"]}),  # no client: 401
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 401]
    for answer in answers:
        assert (answer["Cache-Control"], answer["Pragma"]) == ("no-store", "no-cache")
