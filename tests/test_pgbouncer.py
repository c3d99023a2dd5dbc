"""perscom-oauth keeps no state in a database session (issue 25): its hot paths work through
PgBouncer in transaction mode, where each transaction may run on another server connection.

A PgBouncer of this module's own (bench/pgbouncer.py) sits in front of the test database with
two server connections in its pool, handed out in turn (``server_round_robin``), so that
consecutive transactions of one client run in two different sessions. Server-side cursors stay
on (Django's default; ``DATABASE_POOLER=transaction`` turns them off for a deployment): the
package must not need a deployment to turn them off. A WITH HOLD cursor, a session advisory
lock, a temporary table or a prepared statement kept between transactions then fails here.

Skipped without the ``pgbouncer`` binary, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from bench.pgbouncer import PgBouncer, binary
from perscom_oauth.checks import check_at_startup
from perscom_oauth.models import Application, SigningKey
from perscom_oauth.signing import rotation
from tests.admin_support import CHANGELISTS
from tests.oauth import OAuthClient
from tests.signing_support import jwks

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"),
]


@pytest.fixture(scope="module")
def bouncer(django_db_setup: None, django_db_blocker: Any) -> Iterator[PgBouncer]:
    if binary() is None:
        reason = "pgbouncer is not installed (apt-get install pgbouncer)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PgBouncer tests: {reason}", pytrace=False)
        pytest.skip(reason)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # PostgreSQL itself, even when the suite already runs through a pooler.
        cursor.execute("SELECT host(inet_server_addr()), current_setting('port')")
        host, port = cursor.fetchone()
    upstream = f"postgres://{connection.settings_dict['USER'] or 'postgres'}@{host or '127.0.0.1'}:{port}"
    # Server connections stay in the pool (no 1 s idle timeout): stopping it closes them.
    with PgBouncer(upstream, idle_seconds=600) as started:
        yield started


@pytest.fixture
def through_bouncer(bouncer: PgBouncer) -> Iterator[None]:
    """Every connection of the test (this thread's and any other's) goes through ``bouncer``."""
    database = connection.settings_dict
    saved = {key: database.get(key) for key in ("HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS")}
    connections.close_all()
    database.update(HOST="127.0.0.1", PORT=bouncer.port, DISABLE_SERVER_SIDE_CURSORS=False)
    # Two transactions open at once: two server connections in the pool from now on.
    url = bouncer.url(database["NAME"])
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        first.execute("SELECT 1")
        second.execute("SELECT 1")
    try:
        yield
    finally:
        connections.close_all()
        database.update(saved)


def backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_consecutive_transactions_run_in_different_sessions(through_bouncer: None) -> None:
    """What makes the other tests a guard: one client, two transactions, two sessions."""
    assert backend() != backend()


def test_code_exchange_refresh_revocation_and_introspection(
    through_bouncer: None, oauth: OAuthClient, member: Any, app: Application
) -> None:
    issued = oauth.code_flow(member, app, scope="openid view:user").json()
    assert oauth.api(issued["access_token"]).status_code == 200
    refreshed = oauth.refresh(app, issued["refresh_token"])
    assert refreshed.status_code == 200, refreshed.content
    pair = refreshed.json()
    introspected = oauth.client().post(
        "/oauth/introspect",
        {"token": pair["access_token"], "client_id": app.client_id, "client_secret": "s3cret-for-tests"},
    )
    assert introspected.json()["active"] is True
    assert oauth.revoke(app, pair["refresh_token"]).status_code == 200
    assert oauth.api(pair["access_token"]).status_code == 401
    assert oauth.refresh(app, pair["refresh_token"]).status_code == 400


def test_racing_refreshes_one_wins(
    through_bouncer: None, oauth: OAuthClient, member: Any, app: Application
) -> None:
    """The row locks (SELECT ... FOR UPDATE) hold within a transaction, on any server connection."""
    refresh_token = oauth.code_flow(member, app).json()["refresh_token"]
    barrier, statuses = threading.Barrier(3), []

    def refresh() -> None:
        try:
            barrier.wait()
            statuses.append(oauth.refresh(app, refresh_token).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200, 400, 400]


def test_admin_lists(
    through_bouncer: None, admin: Client, oauth: OAuthClient, member: Any, app: Application
) -> None:
    oauth.code_flow(member, app, scope="openid view:user")
    for name, url in CHANGELISTS.items():
        assert admin.get(url).status_code == 200, name


def test_signing_key_rotation_and_kek_rotation(
    through_bouncer: None,
    settings: Any,
    oauth: OAuthClient,
    member: Any,
    app: Application,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``rotate_signing_keys`` and the start-up check read every stored key, outside a transaction
    (a batch at a time: 3 then 1 of the 4 keys here)."""
    monkeypatch.setattr(rotation, "BATCH", 3)
    jwks(oauth)  # the organization's first keys
    call_command("rotate_signing_keys", stdout=io.StringIO())
    old = settings.PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"][0]
    new = Fernet.generate_key().decode()
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": [new, old]}
    call_command("rotate_signing_keys", reencrypt=True, stdout=io.StringIO())
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": [new]}
    check_at_startup()  # perscom_oauth.E035 would raise: every stored key decrypts with the new KEK
    assert SigningKey.objects.exclude(private_key="").count() == 4
