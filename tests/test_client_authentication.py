"""Issue 19 M3 and L3: one client authentication method per request (RFC 6749 §2.3: "The client
MUST NOT use more than one authentication method in each request"; §5.2 answers a request that
does with ``invalid_request``).

Before the fix, the base library tried HTTP Basic and, when it failed, the body: a wrong secret
in the header and the right one in the body got a token and the legacy-hash upgrade stored the
*header's* secret, locking the real client out (M3); and the throttle counted the header's
client while the body's was the one guessed, so a decoy in the header skipped it (L3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import make_password

from perscom_oauth import hashing
from perscom_oauth.models import Application, Organization
from tests.factories import SECRET, ApplicationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db

TOKEN = "/oauth/token"
CLIENT_CREDENTIALS = {"grant_type": "client_credentials", "scope": "view:user"}


@pytest.fixture
def limit(settings: Any) -> int:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "THROTTLE_FAILURES": 3}
    return 3


def post(oauth: OAuthClient, data: dict[str, str], header: str | None = None, path: str = TOKEN) -> Any:
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    return oauth.client().post(path, data, **extra)


def assert_two_methods_refused(response: Any) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/oauth/token", CLIENT_CREDENTIALS),
        ("/oauth/revoke", {"token": "unknown"}),
        ("/oauth/introspect", {"token": "unknown"}),
    ],
    ids=["token", "revoke", "introspect"],
)
def test_basic_and_a_body_secret_together_are_refused(
    oauth: OAuthClient, machine: Application, path: str, data: dict[str, str]
) -> None:
    both = {**data, "client_id": machine.client_id, "client_secret": SECRET}
    assert_two_methods_refused(post(oauth, both, basic_auth(machine.client_id), path))
    # Each method alone works.
    assert post(oauth, data, basic_auth(machine.client_id), path).status_code == 200
    assert post(oauth, both, path=path).status_code == 200


def test_a_wrong_basic_secret_cannot_replace_a_legacy_one(
    oauth: OAuthClient, machine: Application, settings: Any
) -> None:
    # M3: the header's wrong secret and the body's right one got a token, and the upgrade of
    # the PBKDF2 hash stored the header's: the real client was locked out.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    legacy = make_password(SECRET)
    Application.objects.filter(pk=machine.pk).update(client_secret=legacy)

    both = {**CLIENT_CREDENTIALS, "client_id": machine.client_id, "client_secret": SECRET}
    assert_two_methods_refused(post(oauth, both, basic_auth(machine.client_id, "attacker-chosen")))

    assert Application.objects.get(pk=machine.pk).client_secret == legacy
    assert post(oauth, CLIENT_CREDENTIALS, basic_auth(machine.client_id)).status_code == 200
    upgraded = Application.objects.get(pk=machine.pk).client_secret
    assert hashing.is_ours(upgraded) and hashing.verify(SECRET, upgraded)


def test_the_body_may_repeat_the_basic_client_id_but_not_name_another(
    oauth: OAuthClient, machine: Application, app: Application
) -> None:
    header = basic_auth(machine.client_id)
    same = {**CLIENT_CREDENTIALS, "client_id": machine.client_id}
    assert post(oauth, same, header).status_code == 200  # RFC 6749 §4.1.3 names client_id
    assert_two_methods_refused(post(oauth, {**CLIENT_CREDENTIALS, "client_id": app.client_id}, header))


def test_a_failed_header_gets_no_second_chance_in_the_body(
    oauth: OAuthClient, org: Organization, member: Any
) -> None:
    # A public client has no secret: before, a wrong one in the header fell back to the body's
    # client_id and was accepted. The header is the method used; its secret is wrong.
    public = ApplicationFactory(organization=org, client_type=Application.CLIENT_PUBLIC)
    code, verifier = oauth.pkce_code(member, public)
    tokens = oauth.exchange(public, code, code_verifier=verifier, client_secret=None).json()
    data = {"token": tokens["refresh_token"], "client_id": public.client_id}

    refused = post(oauth, data, basic_auth(public.client_id, "wrong"), "/oauth/revoke")

    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert oauth.api(tokens["access_token"]).status_code == 200
    assert post(oauth, data, path="/oauth/revoke").status_code == 200  # identified by the body alone
    assert oauth.api(tokens["access_token"]).status_code == 401


def test_a_decoy_in_the_header_does_not_skip_the_client_throttle(
    oauth: OAuthClient, machine: Application, limit: int
) -> None:
    # L3: each guess of the body's secret came with another client in the header, whose counter
    # took the failure: guesses past the limit were still evaluated (401), never 429.
    for attempt in range(limit + 2):
        guess = {**CLIENT_CREDENTIALS, "client_id": machine.client_id, "client_secret": f"guess-{attempt}"}
        assert_two_methods_refused(post(oauth, guess, basic_auth(f"decoy-{attempt}", "x")))
    # Every guess is counted against the client it names, the one it would authenticate.
    for attempt in range(limit):
        guess = {**CLIENT_CREDENTIALS, "client_id": machine.client_id, "client_secret": f"guess-{attempt}"}
        assert post(oauth, guess).status_code == 401
    body = {**CLIENT_CREDENTIALS, "client_id": machine.client_id, "client_secret": "guess"}
    assert post(oauth, body).status_code == 429
    assert post(oauth, CLIENT_CREDENTIALS, basic_auth(machine.client_id, "guess")).status_code == 429


def test_header_guesses_count_against_the_header_client_whatever_the_body_repeats(
    oauth: OAuthClient, machine: Application, limit: int
) -> None:
    header = basic_auth(machine.client_id, "wrong")
    for _attempt in range(limit):
        assert post(oauth, {**CLIENT_CREDENTIALS, "client_id": machine.client_id}, header).status_code == 401
    assert post(oauth, CLIENT_CREDENTIALS, basic_auth(machine.client_id)).status_code == 429
