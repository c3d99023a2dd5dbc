"""Security review findings 3, 4 and 8: the brute-force throttle slows guessers, never locks the
real client or user out from elsewhere, counts atomically, and never takes an endpoint down
with the cache (tests/test_hardening.py holds its basic behaviour)."""

from __future__ import annotations

import base64
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
import pytest
import requests
from django.db import connection

from perscom_oauth.models import Application, Organization
from tests.factories import SECRET, ApplicationFactory, DomainFactory, OrganizationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings: Any) -> int:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "THROTTLE_FAILURES": 3}
    return 3


def client_credentials(oauth: OAuthClient, header: str, ip: str = "127.0.0.1") -> Any:
    return oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user"},
        HTTP_AUTHORIZATION=header,
        REMOTE_ADDR=ip,
    )


def test_lenient_base64_never_authenticates(oauth: OAuthClient, machine: Application) -> None:
    # Finding 3: one invalid base64 character made the throttle see no client while the base
    # library decoded the header leniently and authenticated it. One strict parser now.
    good = base64.b64encode(f"{machine.client_id}:{SECRET}".encode()).decode()
    assert client_credentials(oauth, f"Basic {good}").status_code == 200
    for tampered in (f"Basic !{good}", f"Basic {good[:4]}*{good[4:]}", f"Basic {good.rstrip('=')}"):
        response = client_credentials(oauth, tampered)
        assert response.status_code == 401, tampered
        assert response.json()["error"] == "invalid_client"


def test_basic_scheme_is_case_insensitive_for_both(oauth: OAuthClient, machine: Application) -> None:
    # RFC 7235 §2.1; the throttle and client authentication agree on what the header says.
    credentials = basic_auth(machine.client_id).removeprefix("Basic ")
    assert client_credentials(oauth, f"basic {credentials}").status_code == 200


def test_huge_client_id_is_refused_cleanly(oauth: OAuthClient, machine: Application, limit: int) -> None:
    # Finding 3: the raw client_id went into the cache key; now a bounded hash does.
    for _attempt in range(limit + 1):
        response = client_credentials(oauth, basic_auth("x" * 200_000, "wrong"))
        assert response.status_code in (400, 401, 429)
    assert client_credentials(oauth, basic_auth(machine.client_id)).status_code == 200


def test_password_guesses_are_counted_per_user_and_source(
    oauth: OAuthClient, org: Organization, member: Any, limit: int
) -> None:
    # Finding 8: failed password grants (400 invalid_grant, not 401) were never counted.
    app = ApplicationFactory(
        organization=org, client_id="alpha-pw", authorization_grant_type=Application.GRANT_PASSWORD
    )

    def password_grant(username: str, password: str, ip: str) -> Any:
        data = {"grant_type": "password", "username": username, "password": password, "scope": "view:user"}
        return oauth.client().post(
            "/oauth/token", data, HTTP_AUTHORIZATION=basic_auth(app.client_id), REMOTE_ADDR=ip
        )

    for _attempt in range(limit):
        assert password_grant("member", "wrong", "10.1.1.1").status_code == 400
    refused = password_grant("member", "pw", "10.1.1.1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    # The real user elsewhere, and another user from that source, are not locked out.
    assert password_grant("member", "pw", "10.1.1.2").status_code == 200
    assert password_grant("nobody", "wrong", "10.1.1.1").status_code == 400


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite" and django.VERSION >= (6,),
    reason="Django 6.0's live server on SQLite answered 2 of 30 threads with 500 (and one 404) once "
    "in the matrix run: the in-memory database, not the throttle; run on PostgreSQL and Django 5.2",
)
def test_concurrent_guesses_evaluate_at_most_the_limit(live_server: Any, settings: Any) -> None:
    # Finding 3: 30 concurrent guesses evaluated 12, not 10. Each attempt now takes its place
    # in the counter atomically before it is evaluated.
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "THROTTLE_FAILURES": 10}
    org = OrganizationFactory(slug="race", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    app = ApplicationFactory(
        organization=org, client_id="race-m2m", authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )

    def guess(_n: int) -> int:
        return requests.post(
            f"{live_server.url}/oauth/token",
            {"grant_type": "client_credentials", "scope": "view:user"},
            auth=(app.client_id, "wrong"),
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = Counter(pool.map(guess, range(30)))
    assert statuses == {401: 10, 429: 20}


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's live server locks under 12 threads")
def test_a_burst_of_valid_requests_does_not_lock_the_client_out(live_server: Any, settings: Any) -> None:
    """Issue 13: 25 concurrent refreshes from one address got 429s (their places in the counter
    are taken while they run), and those refusals stayed counted: the client was locked out of
    the token endpoint for the rest of the window though none of its credentials was wrong."""
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "THROTTLE_FAILURES": 2}
    org = OrganizationFactory(slug="race", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    app = ApplicationFactory(organization=org, client_id="burst-app")

    def revoke(_n: int) -> int:  # a valid client revoking an unknown token: 200, nothing written
        return requests.post(
            f"{live_server.url}/oauth/revoke", {"token": "unknown"}, auth=(app.client_id, SECRET), timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = Counter(pool.map(revoke, range(24)))
    assert set(statuses) <= {200, 429}
    assert revoke(0) == 200


# --- finding 4: a cache outage costs the throttle, never the endpoints --------------------------


def test_client_endpoints_work_while_the_cache_is_down(
    oauth: OAuthClient, member: Any, app: Application, machine: Application, own_redis: Any, caplog: Any
) -> None:
    issued = oauth.code_flow(member, app, scope="view:user").json()
    assert client_credentials(oauth, basic_auth(machine.client_id)).status_code == 200

    own_redis.kill()
    own_redis.wait()

    auth = {"HTTP_AUTHORIZATION": basic_auth(app.client_id)}
    introspected = oauth.client().post("/oauth/introspect", {"token": issued["access_token"]}, **auth)
    assert introspected.status_code == 200
    assert introspected.json()["active"] is True
    # A client can revoke a stolen token during the outage, and the revocation holds.
    assert oauth.client().post("/oauth/revoke", {"token": issued["refresh_token"]}, **auth).status_code == 200
    assert oauth.api(issued["access_token"]).status_code == 401
    assert client_credentials(oauth, basic_auth(machine.client_id)).status_code == 200
    # Wrong secrets are still refused (access fails closed; only the counting is off).
    assert client_credentials(oauth, basic_auth(machine.client_id, "wrong")).status_code == 401
    assert "cache unreachable" in caplog.text
