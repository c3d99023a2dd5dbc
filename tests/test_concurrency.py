"""Races that only a real database can show: run on PostgreSQL (CI's second pass)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from django.db import connection

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
