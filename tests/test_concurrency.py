"""Races that only a real database can show: run on PostgreSQL (CI's second pass)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from django.db import connection
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model

from tests.conftest import make_member, role
from tests.factories import REDIRECT_URI, SECRET, ApplicationFactory, DomainFactory, OrganizationFactory
from tests.oauth import OAuthClient

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locking"),
]


def test_one_code_exchanged_twice_at_once(live_server: Any) -> None:
    """RFC 6749 §4.1.2: a code is used once. Two simultaneous exchanges: one token, one
    invalid_grant, never a 500."""
    org = OrganizationFactory(slug="race", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    user = make_member(org, "racer", role("Viewer", "view"))
    app = ApplicationFactory(organization=org, client_id="race-app")
    for _attempt in range(5):
        code = OAuthClient("localhost").authorize(user, app)["code"]
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def exchange() -> None:
            barrier.wait()
            response = requests.post(
                f"{live_server.url}/oauth/token",
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
                auth=("race-app", SECRET),
                timeout=30,
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=exchange) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 400]


def test_revoke_racing_refresh_leaves_no_live_pair(live_server: Any) -> None:
    """Security review finding 7: a revocation racing a refresh of the same token left a live
    pair in 5-6 rounds of 10. Revoking locks the family; a refresh that started first finishes
    and its pair is revoked, one that comes second is invalid_grant."""
    org = OrganizationFactory(slug="race", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    user = make_member(org, "racer", role("Viewer", "view"))
    app = ApplicationFactory(organization=org, client_id="race-app")
    oauth = OAuthClient("localhost")
    for _round in range(10):
        issued = oauth.code_flow(user, app).json()
        barrier = threading.Barrier(2)
        statuses: dict[str, int] = {}

        def call(path: str, data: dict[str, str], name: str) -> None:
            barrier.wait()
            response = requests.post(
                f"{live_server.url}{path}", data=data, auth=("race-app", SECRET), timeout=30
            )
            statuses[name] = response.status_code

        refresh = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
        threads = [
            threading.Thread(target=call, args=("/oauth/token", refresh, "refresh")),
            threading.Thread(
                target=call, args=("/oauth/revoke", {"token": issued["refresh_token"]}, "revoke")
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses["revoke"] == 200
        assert statuses["refresh"] in (200, 400)
        assert not get_refresh_token_model().objects.filter(user=user, revoked__isnull=True).exists()
        assert not get_access_token_model().objects.filter(user=user).exists()


def test_revocation_between_validation_and_lock_is_not_undone(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: a refresh validated just before a revocation of its family commits, and
    retiring its token just after, must not mint a pair nobody revokes (a grace-period retry
    did, 1 round in 9 of bench/reliability.py). The interleaving is forced here: the refresh is
    held between validation and the UPDATE that retires the token while the revocation runs."""
    from perscom_oauth.server.validator import OAuth2Validator

    org = OrganizationFactory(slug="race", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    user = make_member(org, "racer", role("Viewer", "view"))
    ApplicationFactory(organization=org, client_id="race-app")
    app = get_application_model().objects.get(client_id="race-app")
    oauth = OAuthClient("localhost")
    first = oauth.code_flow(user, app).json()
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}

    validated, revoked = threading.Event(), threading.Event()
    original = OAuth2Validator.retire_refresh_token

    def held(self: Any, previous: Any, request: Any) -> None:
        validated.set()
        revoked.wait(30)
        original(self, previous, request)

    monkeypatch.setattr(OAuth2Validator, "retire_refresh_token", held)
    answers: list[requests.Response] = []
    retry = threading.Thread(
        target=lambda: answers.append(
            requests.post(f"{live_server.url}/oauth/token", data=form, auth=("race-app", SECRET), timeout=60)
        )
    )
    retry.start()
    assert validated.wait(30)
    revocation = requests.post(
        f"{live_server.url}/oauth/revoke",
        data={"token": first["refresh_token"]},
        auth=("race-app", SECRET),
        timeout=30,
    )
    revoked.set()
    retry.join(60)

    assert revocation.status_code == 200
    assert answers[0].status_code == 400
    assert answers[0].json()["error"] == "invalid_grant"
    assert not get_refresh_token_model().objects.filter(user=user, revoked__isnull=True).exists()
    assert not get_access_token_model().objects.filter(user=user).exists()
