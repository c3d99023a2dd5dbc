"""Client secrets: salted SHA-256 at rest, and older (PBKDF2) hashes upgraded on first use."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import make_password

from perscom_oauth import hashing
from perscom_oauth.models import Application
from tests.factories import SECRET, ApplicationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db


def client_credentials(oauth: OAuthClient, secret: str = SECRET, basic: bool = True) -> Any:
    data = {"grant_type": "client_credentials", "scope": "view:user"}
    if basic:
        return oauth.client().post("/oauth/token", data, HTTP_AUTHORIZATION=basic_auth("alpha-m2m", secret))
    return oauth.client().post("/oauth/token", {**data, "client_id": "alpha-m2m", "client_secret": secret})


def test_new_secrets_are_stored_as_salted_sha256(machine: Application) -> None:
    stored = Application.objects.values_list("client_secret", flat=True).get(pk=machine.pk)
    assert hashing.is_ours(stored)
    assert SECRET not in stored
    other = ApplicationFactory(organization=machine.organization, client_id="alpha-other")
    assert other.client_secret != stored  # salted: the same secret, another hash


@pytest.mark.parametrize("basic", [True, False], ids=["basic", "body"])
@pytest.mark.parametrize("hasher", ["pbkdf2_sha256", "md5"])
def test_older_hashes_work_and_are_upgraded_on_first_use(
    oauth: OAuthClient, machine: Application, settings: Any, basic: bool, hasher: str
) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    legacy = make_password(SECRET, hasher=hasher)
    Application.objects.filter(pk=machine.pk).update(client_secret=legacy)

    assert client_credentials(oauth, "wrong", basic).status_code == 401
    assert Application.objects.get(pk=machine.pk).client_secret == legacy  # untouched by a failure
    assert client_credentials(oauth, SECRET, basic).status_code == 200
    upgraded = Application.objects.get(pk=machine.pk).client_secret
    assert hashing.is_ours(upgraded)
    assert client_credentials(oauth, SECRET, basic).status_code == 200
    assert client_credentials(oauth, "wrong", basic).status_code == 401


def test_a_secret_stored_in_clear_is_left_alone(oauth: OAuthClient, machine: Application) -> None:
    Application.objects.filter(pk=machine.pk).update(client_secret=SECRET, hash_client_secret=False)
    assert client_credentials(oauth).status_code == 200
    assert Application.objects.get(pk=machine.pk).client_secret == SECRET
