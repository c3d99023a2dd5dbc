"""Every method of /api/users/ against every way a token can fall short (RFC 6750 §3.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group

from perscom_oauth.models import Application, Organization
from tests.conftest import make_member
from tests.factories import SECRET, ApplicationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db

ALL_USER_SCOPES = "view:user create:user update:user delete:user"
#: The demo's API is a resource of its own (RESOURCE_PATHS, project/settings.py).
API_METADATA = "http://alpha.example.test/.well-known/oauth-protected-resource/api"
METHODS = {
    # method: (path template, body, scope it needs, success status)
    "GET": ("/api/users/", None, "view:user", 200),
    "POST": ("/api/users/", {"username": "newbie"}, "create:user", 201),
    "PUT": ("/api/users/{id}/", {"username": "renamed"}, "update:user", 200),
    "PATCH": ("/api/users/{id}/", {"email": "x@example.test"}, "update:user", 200),
    "DELETE": ("/api/users/{id}/", None, "delete:user", 204),
}


def call(oauth: OAuthClient, method: str, token: str, target: Any) -> Any:
    path, body, _scope, _status = METHODS[method]
    payload = {} if body is None else {"data": body, "content_type": "application/json"}
    return getattr(oauth.client(), method.lower())(
        path.format(id=target.pk), HTTP_AUTHORIZATION=f"Bearer {token}", **payload
    )


def assert_insufficient_scope(response: Any, scope: str) -> None:
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{scope}"' in challenge


@pytest.fixture
def target(org: Organization, viewer_role: Group) -> Any:
    return make_member(org, "target", viewer_role)


def user_token(oauth: OAuthClient, user: Any, app: Application, scope: str) -> str:
    response = oauth.code_flow(user, app, scope=scope)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.mark.parametrize("method", METHODS)
def test_token_with_the_scope_and_user_with_the_permission(
    oauth: OAuthClient, member: Any, app: Application, target: Any, method: str
) -> None:
    token = user_token(oauth, member, app, ALL_USER_SCOPES)
    assert call(oauth, method, token, target).status_code == METHODS[method][3]


@pytest.mark.parametrize("method", METHODS)
def test_token_without_the_scope(
    oauth: OAuthClient, member: Any, app: Application, target: Any, method: str
) -> None:
    needed = METHODS[method][2]
    others = " ".join(s for s in ALL_USER_SCOPES.split() if s != needed)
    token = user_token(oauth, member, app, others)
    assert_insufficient_scope(call(oauth, method, token, target), needed)


@pytest.mark.parametrize("method", METHODS)
def test_user_without_the_permission_cannot_grant_it(
    oauth: OAuthClient, org: Organization, viewer_role: Group, app: Application, target: Any, method: str
) -> None:
    viewer = make_member(org, "viewer", viewer_role)
    response = oauth.code_flow(viewer, app, scope=ALL_USER_SCOPES)
    assert response.json()["scope"] == "view:user"  # narrowed at consent (RFC 6749 §5.1)
    response = call(oauth, method, response.json()["access_token"], target)
    if method == "GET":
        assert response.status_code == 200
    else:
        assert_insufficient_scope(response, METHODS[method][2])


@pytest.mark.parametrize("method", METHODS)
def test_permission_removed_after_the_token_was_issued(
    oauth: OAuthClient, org: Organization, admin_role: Group, app: Application, target: Any, method: str
) -> None:
    user = make_member(org, "demoted", admin_role)
    token = user_token(oauth, user, app, ALL_USER_SCOPES)
    assert oauth.api(token, "/api/users/").status_code == 200

    user.perscom_memberships.get().roles.clear()

    assert_insufficient_scope(call(oauth, method, token, target), METHODS[method][2])


@pytest.mark.parametrize("method", METHODS)
def test_application_no_longer_allowed_the_scope(
    oauth: OAuthClient, member: Any, app: Application, target: Any, method: str
) -> None:
    token = user_token(oauth, member, app, ALL_USER_SCOPES)
    app.allowed_scopes = "view:rank"
    app.save()
    assert_insufficient_scope(call(oauth, method, token, target), METHODS[method][2])


def test_application_asking_beyond_its_allowed_scopes_is_invalid_scope(
    oauth: OAuthClient, member: Any, org: Organization
) -> None:
    narrow = ApplicationFactory(organization=org, allowed_scopes="view:user")
    response = oauth.authorization_request(
        member, "get", client_id=narrow.client_id, scope="view:user delete:user", state="s"
    )
    assert response.status_code == 302
    assert "error=invalid_scope" in response["Location"]  # RFC 6749 §4.1.2.1
    assert "delete%3Auser" in response["Location"]


@pytest.fixture
def machine(org: Organization) -> Application:
    return ApplicationFactory(
        organization=org,
        client_id="m2m",
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        allowed_scopes="view:user create:user",
    )


def machine_token(oauth: OAuthClient, scope: str) -> Any:
    return oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=basic_auth("m2m"),
    )


@pytest.mark.parametrize("method", METHODS)
def test_client_credentials_token_is_bounded_by_the_application(
    oauth: OAuthClient, machine: Application, target: Any, method: str
) -> None:
    token = machine_token(oauth, "view:user create:user").json()["access_token"]
    response = call(oauth, method, token, target)
    if method in ("GET", "POST"):
        assert response.status_code == METHODS[method][3]
    else:
        assert_insufficient_scope(response, METHODS[method][2])
    assert machine_token(oauth, "delete:user").json()["error"] == "invalid_scope"


def test_session_requests_use_the_users_permissions(
    oauth: OAuthClient, org: Organization, viewer_role: Group, target: Any
) -> None:
    browser = oauth.client()
    browser.force_login(make_member(org, "clicker", viewer_role))
    assert browser.get("/api/users/").status_code == 200
    response = browser.post("/api/users/", {"username": "x"})
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response  # no bearer token involved


def test_anonymous_requests_get_a_bare_challenge(oauth: OAuthClient) -> None:
    response = oauth.client().get("/api/users/")
    assert response.status_code == 401
    # RFC 6750 §3.1: no error code; RFC 9728 §5.1: where to learn what the resource accepts.
    assert response["WWW-Authenticate"] == f'Bearer realm="api",resource_metadata="{API_METADATA}"'


def test_querysets_are_scoped_to_the_organization(
    oauth: OAuthClient, member: Any, app: Application, other_org: Organization, viewer_role: Group
) -> None:
    make_member(other_org, "stranger", viewer_role)
    token = user_token(oauth, member, app, "view:user")
    usernames = {u["username"] for u in oauth.api(token, "/api/users/").json()}
    assert usernames == {"member"}


@pytest.mark.parametrize(("path", "scope"), [("/api/ranks/", "view:rank"), ("/api/awards/", "view:award")])
def test_other_resources_derive_their_scope_from_the_queryset(
    oauth: OAuthClient, member: Any, app: Application, path: str, scope: str
) -> None:
    token = user_token(oauth, member, app, "view:user")
    assert_insufficient_scope(oauth.api(token, path), scope)
    token = user_token(oauth, member, app, scope)
    assert oauth.api(token, path).status_code == 200


def test_refresh_may_narrow_but_never_widen(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, scope="view:user update:user").json()
    refresh: Callable[..., Any] = lambda scope: oauth.token(  # noqa: E731
        grant_type="refresh_token",
        refresh_token=token["refresh_token"],
        client_id=app.client_id,
        client_secret=SECRET,
        scope=scope,
    )
    wider = refresh("view:user update:user delete:user")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"  # RFC 6749 §6
    narrower = refresh("view:user")
    assert narrower.status_code == 200
    assert narrower.json()["scope"] == "view:user"
    assert oauth.api(narrower.json()["access_token"], "/api/me").json()["scopes"] == ["view:user"]
