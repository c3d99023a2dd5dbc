"""The demo's sign-in pages lock a username out from one client address after repeated failures
(django-axes, configured in project/settings.py), through the public HTTP surface.

The lock is per username *and* address: the guesser's address is refused, the user signs in
from anywhere else, and other users sign in from the guesser's address. The password grant at
the token endpoint counts towards the same lock (where perscom_oauth's own throttle, with a
limit of its own, may answer 429 slow_down first).

An address is also refused, for every username, after PER_ADDRESS failures at any usernames
(password spraying, issue 19 L2; project/lockout.py), until the cool-off has passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, override_settings

from perscom_oauth.models import Application
from tests.factories import SECRET, ApplicationFactory, UserFactory
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db

LIMIT = 10
PER_ADDRESS = 50
GUESSER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"

# Each sign-in page, with a user it lets in: the admin's only takes staff.
PAGES = pytest.mark.parametrize(
    ("path", "staff"), [("/accounts/login/", False), ("/admin/login/", True)], ids=["accounts", "admin"]
)


@pytest.fixture(autouse=True)
def axes_enabled() -> Iterator[None]:
    """tests/settings.py turns Axes off for the rest of the suite (Client.login())."""
    with override_settings(AXES_ENABLED=True):
        yield


class NoAddressClient(Client):
    """A test client whose requests carry no REMOTE_ADDR at all (the base client sends one)."""

    def _base_environ(self, **request: Any) -> dict[str, Any]:
        environ = super()._base_environ(**request)
        environ.pop("REMOTE_ADDR", None)
        return environ


def sign_in(
    path: str, username: str, password: str, address: str | None, client: Client | None = None
) -> HttpResponse:
    client = client or (Client() if address else NoAddressClient())
    extra = {"REMOTE_ADDR": address} if address else {}
    return client.post(path, {"username": username, "password": password}, **extra)


def signed_in(path: str, username: str, address: str | None) -> bool:
    client = Client() if address else NoAddressClient()
    response = sign_in(path, username, "pw", address, client)
    assert response.status_code in (302, 429), response.status_code
    return response.status_code == 302 and "_auth_user_id" in client.session


def assert_lockout_page(response: HttpResponse) -> None:
    assert response.status_code == 429  # Too Many Requests, never a 500
    page = response.content.decode()
    assert "Too many sign-in attempts" in page
    assert "try again in 15 minutes" in page


def fail(path: str, username: str, address: str | None, times: int = LIMIT) -> list[int]:
    return [sign_in(path, username, "wrong", address).status_code for _ in range(times)]


def test_the_settings_are_the_ones_tested() -> None:
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.SIGN_IN_FAILURES_PER_ADDRESS == PER_ADDRESS
    assert settings.AXES_HANDLER == "project.lockout.SignInLockoutHandler"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


@pytest.mark.parametrize(
    ("backend", "warned"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", True),
        ("perscom_oauth.cache.backend.RedisCache", False),
    ],
    ids=["in-process", "redis"],
)
def test_a_cache_that_processes_do_not_share_is_warned_about(backend: str, warned: bool) -> None:
    """Axes warns (axes.W001) about its own cache handler by name only: the demo's subclass
    keeps the warning (project/settings.py silences it for the debug server alone)."""
    with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:1/0"}}):
        ids = [message.id for message in run_checks(tags=["caches"])]
    assert ("axes.W001" in ids) is warned


@PAGES
def test_ten_failures_lock_the_user_out_from_that_address(path: str, staff: bool) -> None:
    UserFactory(username="alice", is_staff=staff)

    statuses = fail(path, "alice", GUESSER)

    assert statuses == [200] * (LIMIT - 1) + [429]  # the form again, then the lockout page
    browser = Client()
    refused = sign_in(path, "alice", "pw", GUESSER, browser)  # the right password, too
    assert_lockout_page(refused)
    assert "alice" in refused.content.decode()
    assert "_auth_user_id" not in browser.session


@PAGES
def test_the_locked_user_still_signs_in_from_another_address(path: str, staff: bool) -> None:
    UserFactory(username="alice", is_staff=staff)
    fail(path, "alice", GUESSER)

    assert signed_in(path, "alice", ELSEWHERE)
    assert not signed_in(path, "alice", GUESSER)


@PAGES
def test_other_users_still_sign_in_from_the_locked_address(path: str, staff: bool) -> None:
    UserFactory(username="alice", is_staff=staff)
    UserFactory(username="bob", is_staff=staff)
    fail(path, "alice", GUESSER)

    assert signed_in(path, "bob", GUESSER)


@PAGES
def test_a_successful_sign_in_forgets_the_failures(path: str, staff: bool) -> None:
    UserFactory(username="alice", is_staff=staff)

    assert fail(path, "alice", GUESSER, LIMIT - 1) == [200] * (LIMIT - 1)
    assert signed_in(path, "alice", GUESSER)
    assert fail(path, "alice", GUESSER, LIMIT - 1) == [200] * (LIMIT - 1)
    assert signed_in(path, "alice", GUESSER)


def test_an_unknown_username_is_locked_out_the_same_way() -> None:
    assert fail("/accounts/login/", "nobody", GUESSER) == [200] * (LIMIT - 1) + [429]


def test_a_request_without_an_address_is_counted_and_never_a_500() -> None:
    UserFactory(username="alice")

    assert fail("/accounts/login/", "alice", None) == [200] * (LIMIT - 1) + [429]
    assert_lockout_page(sign_in("/accounts/login/", "alice", "pw", None))
    assert signed_in("/accounts/login/", "alice", GUESSER)  # an address of its own: unaffected


# --- password spraying: a few guesses at each of many usernames from one address (L2) ---


def spray(path: str, usernames: list[str], rounds: int, address: str = GUESSER) -> list[int]:
    """``rounds`` wrong passwords at each username in turn, as a sprayer tries one common
    password at every account before the next: never LIMIT failures for one username."""
    return [
        sign_in(path, username, f"Spring202{guess}!", address).status_code
        for guess in range(rounds)
        for username in usernames
    ]


def assert_address_lockout_page(response: HttpResponse) -> None:
    assert_lockout_page(response)
    assert "Too many sign-ins from your address failed" in response.content.decode()


@PAGES
def test_spraying_many_usernames_from_one_address_is_refused(path: str, staff: bool) -> None:
    usernames = [UserFactory(username=f"user{n}", is_staff=staff).username for n in range(40)]

    statuses = spray(path, usernames, rounds=3)  # the 120 failures over 40 usernames

    assert statuses == [200] * (PER_ADDRESS - 1) + [429] * (120 - PER_ADDRESS + 1)
    # The address is refused for every username, even with the right password ...
    browser = Client()
    assert_address_lockout_page(sign_in(path, "user7", "pw", GUESSER, browser))
    assert "_auth_user_id" not in browser.session
    # ... and nowhere else: the real user signs in from another address.
    assert signed_in(path, "user7", ELSEWHERE)


def test_a_sprayers_own_account_does_not_reset_the_address() -> None:
    """Signing in successfully forgets a username's failures (AXES_RESET_ON_SUCCESS), never the
    address's: a sprayer who holds one account cannot start the count again with it."""
    UserFactory(username="mallory")
    usernames = [UserFactory(username=f"user{n}").username for n in range(LIMIT - 1)]

    statuses = []
    while len(statuses) < PER_ADDRESS:
        statuses += spray("/accounts/login/", usernames, rounds=1)
        assert signed_in("/accounts/login/", "mallory", GUESSER) is (len(statuses) < PER_ADDRESS)

    assert statuses[: PER_ADDRESS - 1] == [200] * (PER_ADDRESS - 1)
    assert statuses[PER_ADDRESS - 1] == 429
    assert_address_lockout_page(sign_in("/accounts/login/", "mallory", "pw", GUESSER))


def test_axes_reset_ip_clears_the_address() -> None:
    UserFactory(username="alice")
    spray("/accounts/login/", [f"user{n}" for n in range(PER_ADDRESS)], rounds=1)
    assert not signed_in("/accounts/login/", "alice", GUESSER)

    call_command("axes_reset_ip", GUESSER, stdout=StringIO())

    assert signed_in("/accounts/login/", "alice", GUESSER)


# --- the password grant (RFC 6749 §4.3): DOT calls authenticate() with a request it builds ---


@pytest.fixture
def password_app(org: Any) -> Application:
    return ApplicationFactory(
        organization=org, client_id="password-app", authorization_grant_type=Application.GRANT_PASSWORD
    )


def password_grant(
    oauth: OAuthClient, password: str, address: str | None, username: str = "member"
) -> HttpResponse:
    client = oauth.client() if address else NoAddressClient(HTTP_HOST=oauth.host)
    data = {
        "grant_type": "password",
        "username": username,
        "password": password,
        "scope": "view:user",
        "client_id": "password-app",
        "client_secret": SECRET,
    }
    return client.post("/oauth/token", data, **({"REMOTE_ADDR": address} if address else {}))


def assert_invalid_grant(response: HttpResponse) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"


def assert_refused(response: HttpResponse) -> None:
    """Refused by Axes (invalid_grant) or by perscom_oauth's throttle (429): no token, no 500."""
    assert response.status_code in (400, 429), response.content
    assert response.json()["error"] in ("invalid_grant", "slow_down")


def test_the_password_grant_works_under_axes(oauth: OAuthClient, member: Any, password_app: Any) -> None:
    response = password_grant(oauth, "pw", GUESSER)

    assert response.status_code == 200, response.content
    assert response.json()["access_token"]


def test_password_grant_failures_count_towards_the_same_lock(
    oauth: OAuthClient, member: Any, password_app: Any
) -> None:
    for _ in range(LIMIT):
        assert_invalid_grant(password_grant(oauth, "wrong", GUESSER))

    # Refused at the token endpoint, in its own error format ...
    assert_refused(password_grant(oauth, "pw", GUESSER))
    # ... and Axes counted those failures: the sign-in page shares the lock (same username,
    # same address), which perscom_oauth's token-endpoint throttle never sees.
    assert_lockout_page(sign_in("/accounts/login/", "member", "pw", GUESSER))
    # Another address is unaffected, on both.
    assert password_grant(oauth, "pw", ELSEWHERE).status_code == 200
    assert signed_in("/accounts/login/", "member", ELSEWHERE)


def test_sign_in_page_failures_lock_the_password_grant_too(
    oauth: OAuthClient, member: Any, password_app: Any
) -> None:
    fail("/accounts/login/", "member", GUESSER)

    # The throttle saw no failed grant: this refusal is Axes's, through DOT's authenticate().
    assert_invalid_grant(password_grant(oauth, "pw", GUESSER))
    assert password_grant(oauth, "pw", ELSEWHERE).status_code == 200


def test_password_grant_failures_count_towards_the_address(
    oauth: OAuthClient, member: Any, password_app: Any
) -> None:
    """Spraying through the token endpoint counts too, below the endpoint's own per-source
    throttle (THROTTLE_SOURCE_FAILURES): the address is then refused on the sign-in pages."""
    for n in range(PER_ADDRESS):
        assert_refused(password_grant(oauth, "wrong", GUESSER, username=f"user{n}"))

    assert_refused(password_grant(oauth, "pw", GUESSER))
    assert_address_lockout_page(sign_in("/accounts/login/", "member", "pw", GUESSER))
    assert password_grant(oauth, "pw", ELSEWHERE).status_code == 200


def test_a_password_grant_without_an_address_is_never_a_500(
    oauth: OAuthClient, member: Any, password_app: Any
) -> None:
    """DOT's request for authenticate() takes its META from the real one: no REMOTE_ADDR there."""
    assert password_grant(oauth, "pw", None).status_code == 200
    for _ in range(LIMIT):
        assert_invalid_grant(password_grant(oauth, "wrong", None))
    # Counted by username alone (Axes leaves the missing address out of its key).
    assert_refused(password_grant(oauth, "pw", None))
    assert password_grant(oauth, "pw", GUESSER).status_code == 200
