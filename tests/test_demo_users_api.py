"""The demo's API: /api/users/ acts on the organization's memberships, never on accounts other
tenants (or the site's operators) rely on, since a user account is global and a token is one
organization's; and its documentation pages answer every method without a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from perscom_oauth.models import Application, Membership, Organization
from tests.conftest import make_member
from tests.factories import MembershipFactory
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db

User = get_user_model()
ALL_USER_SCOPES = "view:user create:user update:user delete:user"


@pytest.fixture
def token(oauth: OAuthClient, member: Any, app: Application) -> str:
    """Alpha's token of a member holding every permission there (but no superuser or staff)."""
    response = oauth.code_flow(member, app, scope=ALL_USER_SCOPES)
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


@pytest.fixture
def shared(org: Organization, other_org: Organization, viewer_role: Group) -> Any:
    """A member of Alpha who is also a member of Bravo."""
    user = make_member(org, "shared", viewer_role)
    MembershipFactory(user=user, organization=other_org)
    return user


def send(oauth: OAuthClient, token: str, method: str, path: str, body: Any = None) -> Any:
    payload = {} if body is None else {"data": body, "content_type": "application/json"}
    return getattr(oauth.client(), method.lower())(path, HTTP_AUTHORIZATION=f"Bearer {token}", **payload)


def identity(user: Any) -> tuple[str, str, str, str]:
    user.refresh_from_db()
    return user.username, user.email, user.first_name, user.last_name


@pytest.mark.parametrize(
    ("method", "body"),
    [("PATCH", {"email": "attacker@evil.test"}), ("PUT", {"username": "renamed", "email": "a@evil.test"})],
)
def test_an_account_shared_with_another_organization_is_not_changed(
    oauth: OAuthClient, token: str, shared: Any, method: str, body: dict[str, str]
) -> None:
    before = identity(shared)
    response = send(oauth, token, method, f"/api/users/{shared.pk}/", body)
    assert response.status_code == 403, response.content
    assert "another organization" in response.json()["detail"]
    assert "WWW-Authenticate" not in response  # not a scope problem: no token would do
    assert identity(shared) == before


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_a_superuser_or_staff_member_is_not_changed(
    oauth: OAuthClient, token: str, org: Organization, viewer_role: Group, flag: str
) -> None:
    operator = make_member(org, "operator", viewer_role)  # a member of Alpha only
    User.objects.filter(pk=operator.pk).update(**{flag: True})
    before = identity(operator)
    response = send(oauth, token, "PATCH", f"/api/users/{operator.pk}/", {"email": "attacker@evil.test"})
    assert response.status_code == 403, response.content
    assert "superuser or staff" in response.json()["detail"]
    assert identity(operator) == before


def test_the_refusal_comes_before_validation(oauth: OAuthClient, token: str, shared: Any) -> None:
    # A 400 about the data would tell the caller that fixing it is enough.
    response = send(oauth, token, "PUT", f"/api/users/{shared.pk}/", {"username": ""})
    assert response.status_code == 403


def test_an_account_of_this_organization_alone_is_changed(
    oauth: OAuthClient, token: str, org: Organization, viewer_role: Group
) -> None:
    own = make_member(org, "own", viewer_role)
    response = send(oauth, token, "PATCH", f"/api/users/{own.pk}/", {"email": "own@alpha.test"})
    assert response.status_code == 200, response.content
    assert response.json()["email"] == "own@alpha.test"
    assert identity(own)[1] == "own@alpha.test"
    response = send(oauth, token, "PUT", f"/api/users/{own.pk}/", {"username": "own2", "email": ""})
    assert response.status_code == 200, response.content
    assert identity(own)[:2] == ("own2", "")


def test_delete_ends_the_membership_here_and_nothing_else(
    oauth: OAuthClient, token: str, org: Organization, other_org: Organization, shared: Any
) -> None:
    response = send(oauth, token, "DELETE", f"/api/users/{shared.pk}/")
    assert response.status_code == 204, response.content
    assert not Membership.objects.filter(user=shared, organization=org).exists()
    assert User.objects.filter(pk=shared.pk).exists()
    assert Membership.objects.filter(user=shared, organization=other_org).exists()
    # No longer Alpha's: neither listed nor found.
    assert "shared" not in {u["username"] for u in send(oauth, token, "GET", "/api/users/").json()}
    assert send(oauth, token, "GET", f"/api/users/{shared.pk}/").status_code == 404


def test_delete_of_an_own_account_keeps_the_account(
    oauth: OAuthClient, token: str, org: Organization, viewer_role: Group
) -> None:
    own = make_member(org, "own", viewer_role)
    assert send(oauth, token, "DELETE", f"/api/users/{own.pk}/").status_code == 204
    assert User.objects.filter(pk=own.pk).exists()
    assert not Membership.objects.filter(user=own).exists()


def test_create_makes_a_new_account_and_its_membership_here(
    oauth: OAuthClient, token: str, org: Organization
) -> None:
    response = send(oauth, token, "POST", "/api/users/", {"username": "newbie", "email": "n@alpha.test"})
    assert response.status_code == 201, response.content
    created = User.objects.get(username="newbie")
    assert list(Membership.objects.filter(user=created).values_list("organization", flat=True)) == [org.pk]
    # An existing account is not taken over by creating it again.
    response = send(oauth, token, "POST", "/api/users/", {"username": "newbie"})
    assert response.status_code == 400


def test_another_organizations_member_is_not_found(
    oauth: OAuthClient, token: str, other_org: Organization, viewer_role: Group
) -> None:
    stranger = make_member(other_org, "stranger", viewer_role)
    for method, body in (("PATCH", {"email": "x@evil.test"}), ("DELETE", None)):
        assert send(oauth, token, method, f"/api/users/{stranger.pk}/", body).status_code == 404
    assert Membership.objects.filter(user=stranger, organization=other_org).exists()


# --- The documentation pages: no method is a server error ---------------------------------------

DOCS = {
    # (method, path): the status expected
    ("OPTIONS", "/api/docs"): 200,
    ("HEAD", "/api/docs"): 200,
    ("POST", "/api/docs"): 405,
    ("OPTIONS", "/api/schema"): 200,
    ("HEAD", "/api/schema"): 200,
    ("POST", "/api/schema"): 405,
    ("OPTIONS", "/api/oauth2-redirect.html"): 405,
    ("HEAD", "/api/oauth2-redirect.html"): 200,
    ("POST", "/api/oauth2-redirect.html"): 405,
}


@pytest.mark.parametrize("bearer", [False, True], ids=["anonymous", "bearer"])
@pytest.mark.parametrize(("method", "path"), DOCS)
def test_documentation_pages_answer_every_method(
    oauth: OAuthClient, token: str, method: str, path: str, bearer: bool
) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if bearer else {}
    client = oauth.client()
    client.raise_request_exception = False  # a 500 is a status to assert on, not an exception
    response = getattr(client, method.lower())(path, **headers)
    assert response.status_code == DOCS[method, path], response.content[:300]
    if response.status_code == 405 or method == "OPTIONS":
        assert "GET" in response["Allow"]


def test_options_of_the_swagger_page_has_no_body(oauth: OAuthClient) -> None:
    response = oauth.client().options("/api/docs")
    assert response.status_code == 200
    assert response.content == b""
    assert {m.strip() for m in response["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"  # the site's, as on GET
