"""A password change revokes every token of the user (issue 19, L4), in every organization,
however the password is changed: the "change password" page, the admin's password form
(which can also disable the password), or ``set_password()`` and ``save()`` in a host's code.

What is not a change leaves the tokens alone: a save of the user that keeps the password, and
Django rehashing a password it has just verified with an outdated hasher (at sign-in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.auth.models import Group
from django.test import Client, override_settings

from perscom_oauth.models import Application, AuditEvent
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.oauth import OAuthClient, host_of

pytestmark = pytest.mark.django_db


@dataclass
class Pair:
    oauth: OAuthClient
    app: Application
    access_token: str
    refresh_token: str

    def works(self) -> bool:
        """The access token is honoured at the API, and the refresh token mints a new pair
        (kept, so that the pair stays the family's live one)."""
        api = self.oauth.api(self.access_token).status_code
        assert api in (200, 401), api
        refreshed = self.oauth.refresh(self.app, self.refresh_token)
        if refreshed.status_code != 200:
            return False
        self.access_token, self.refresh_token = (
            refreshed.json()["access_token"],
            refreshed.json()["refresh_token"],
        )
        return api == 200

    def is_revoked(self) -> bool:
        api = self.oauth.api(self.access_token).status_code
        refreshed = self.oauth.refresh(self.app, self.refresh_token)
        return api == 401 and refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def pair(oauth: OAuthClient, user: Any, app: Application) -> Pair:
    issued = oauth.code_flow(user, app).json()
    return Pair(oauth, app, issued["access_token"], issued["refresh_token"])


@pytest.fixture
def pairs(member: Any, app: Application, oauth: OAuthClient, other_org: Any, admin_role: Group) -> list[Pair]:
    """Two pairs of ``member``'s, in two organizations."""
    MembershipFactory(organization=other_org, user=member).roles.set([admin_role])
    other_app = ApplicationFactory(organization=other_org, client_id="bravo-web")
    return [pair(oauth, member, app), pair(OAuthClient(host_of(other_org)), member, other_app)]


@pytest.fixture
def bystander(org: Any, app: Application, oauth: OAuthClient, admin_role: Group) -> Pair:
    """Another member's pair, in the same organization and application."""
    membership = MembershipFactory(organization=org, user=UserFactory(username="bystander"))
    membership.roles.set([admin_role])
    return pair(oauth, membership.user, app)


def revocations() -> list[tuple[str, str, str, str]]:
    return [
        (e.actor_type, e.subject, e.client_id, e.details["reason"])
        for e in AuditEvent.objects.filter(event=AuditEvent.Event.TOKENS_REVOKED).order_by("pk")
    ]


def assert_revoked_by_password_change(pairs: list[Pair], bystander: Pair) -> None:
    assert all(p.is_revoked() for p in pairs)
    assert bystander.works()
    assert sorted(revocations()) == [
        ("system", "member", "alpha-web", "password changed"),
        ("system", "member", "bravo-web", "password changed"),
    ]


def test_the_change_password_page_revokes_the_users_tokens(
    member: Any, pairs: list[Pair], bystander: Pair
) -> None:
    assert all(p.works() for p in pairs)
    browser = Client()
    browser.force_login(member)

    response = browser.post(
        "/accounts/password_change/",
        {"old_password": "pw", "new_password1": "n3w-passw0rd", "new_password2": "n3w-passw0rd"},
    )

    assert response.status_code == 302, response.content
    assert_revoked_by_password_change(pairs, bystander)
    assert browser.get("/accounts/password_change/").status_code == 200  # the page's own session stays


def test_the_admins_password_form_revokes_the_users_tokens(
    admin: Client, member: Any, pairs: list[Pair], bystander: Pair
) -> None:
    response = admin.post(
        f"/admin/auth/user/{member.pk}/password/",
        {"password1": "n3w-passw0rd", "password2": "n3w-passw0rd", "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    assert_revoked_by_password_change(pairs, bystander)


def test_disabling_the_password_in_the_admin_revokes_the_users_tokens(
    admin: Client, member: Any, pairs: list[Pair], bystander: Pair
) -> None:
    response = admin.post(
        f"/admin/auth/user/{member.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )

    assert response.status_code == 302, response.content
    member.refresh_from_db()
    assert not member.has_usable_password()
    assert_revoked_by_password_change(pairs, bystander)


@pytest.mark.parametrize("update_fields", [None, ["password"]], ids=["save", "save-password-only"])
def test_set_password_and_save_revokes_the_users_tokens(
    member: Any, pairs: list[Pair], bystander: Pair, update_fields: list[str] | None
) -> None:
    user = get_user_model().objects.get(pk=member.pk)
    user.set_password("n3w-passw0rd")
    user.save(update_fields=update_fields)

    assert_revoked_by_password_change(pairs, bystander)


def test_a_save_that_keeps_the_password_keeps_the_tokens(
    admin: Client, member: Any, pairs: list[Pair]
) -> None:
    response = admin.post(
        f"/admin/auth/user/{member.pk}/change/",
        {
            "username": "member",
            "first_name": "Renamed",
            "email": "member@example.test",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content
    member.refresh_from_db()
    assert member.first_name == "Renamed"
    assert all(p.works() for p in pairs)
    assert revocations() == []


class CheapPBKDF2(PBKDF2PasswordHasher):
    """The preferred hasher after an upgrade (a handful of iterations: the suite is timed)."""

    iterations = 10


def test_a_rehash_at_sign_in_is_not_a_password_change(member: Any, pairs: list[Pair]) -> None:
    """Django rehashes a verified password whose hasher is no longer the preferred one
    (``check_password``'s setter): the password is the same, the tokens stay."""
    stored = get_user_model().objects.get(pk=member.pk).password
    assert stored.startswith("md5$")
    hashers = ["tests.test_password_change.CheapPBKDF2", "django.contrib.auth.hashers.MD5PasswordHasher"]

    with override_settings(PASSWORD_HASHERS=hashers):
        browser = Client()
        response = browser.post("/accounts/login/", {"username": "member", "password": "pw"})
        assert response.status_code == 302
        assert get_user_model().objects.get(pk=member.pk).password.startswith("pbkdf2_sha256$")

    assert all(p.works() for p in pairs)
    assert revocations() == []


def test_a_new_password_set_over_an_outdated_hash_is_still_a_change(
    member: Any, pairs: list[Pair], bystander: Pair
) -> None:
    """Only Django's own rehash keeps the tokens: ``set_password()`` then a save of the
    password alone, over a hash as outdated as a rehash's, revokes them."""
    hashers = ["tests.test_password_change.CheapPBKDF2", "django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        user = get_user_model().objects.get(pk=member.pk)
        assert user.password.startswith("md5$")
        user.set_password("n3w-passw0rd")
        user.save(update_fields=["password"])

    assert_revoked_by_password_change(pairs, bystander)


def test_a_new_user_and_a_user_without_tokens_revoke_nothing(member: Any) -> None:
    get_user_model().objects.create_user("newcomer", password="pw")
    member.password = make_password("n3w-passw0rd")
    member.save()

    assert revocations() == []
