"""The read-replica router (perscom_oauth.routers, docs/replicas.md; issue 25 item 3).

Where each read goes, without a database: the primary unless the code path opted in, and then
only for the models it named, outside a transaction. Then the proof on a real pair: a private
PostgreSQL primary and streaming replica (tests/replica_support.py), the replica's replay
paused, and a child pytest process (tests/replica/, settings tests/replica_settings.py) that
drives the endpoints over HTTP and checks that no security decision reads the replica while
the list pages do. That part needs PostgreSQL (DATABASE_URL); in CI (``CI=true``) its PostgreSQL
pass must run it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, transaction

from perscom_oauth.models import Application, AuditEvent, Membership, Organization
from perscom_oauth.routers import ReplicaRouter, primary_reads, stale_reads_allowed
from tests import replica_support

REPO_ROOT = Path(__file__).resolve().parent.parent
router = ReplicaRouter()


@pytest.fixture
def replica(settings: Any) -> str:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REPLICA_DATABASE": "replica"}
    return "replica"


def test_every_read_is_the_primarys_unless_the_code_path_opted_in(replica: str) -> None:
    assert router.db_for_read(AuditEvent) == DEFAULT_DB_ALIAS
    with stale_reads_allowed(AuditEvent):
        assert router.db_for_read(AuditEvent) == replica
        assert router.db_for_read(Membership) == DEFAULT_DB_ALIAS  # not named
        with stale_reads_allowed(Application):  # nested: they add up
            assert {router.db_for_read(AuditEvent), router.db_for_read(Application)} == {replica}
        assert router.db_for_read(Application) == DEFAULT_DB_ALIAS
        with primary_reads():  # a decision inside a stale page
            assert router.db_for_read(AuditEvent) == DEFAULT_DB_ALIAS
        assert router.db_for_read(AuditEvent) == replica
    assert router.db_for_read(AuditEvent) == DEFAULT_DB_ALIAS


def test_it_decorates_a_function_too(replica: str) -> None:
    @stale_reads_allowed(Organization)
    def listed() -> str:
        return router.db_for_read(Organization)

    assert listed() == replica
    assert router.db_for_read(Organization) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_a_transaction_reads_the_primary(replica: str) -> None:
    """A transaction reads its own writes: never the replica inside one (ATOMIC_REQUESTS too)."""
    with stale_reads_allowed(AuditEvent):
        with transaction.atomic():
            assert router.db_for_read(AuditEvent) == DEFAULT_DB_ALIAS
        assert router.db_for_read(AuditEvent) == replica


def test_without_a_replica_everything_is_the_primarys() -> None:
    with stale_reads_allowed(AuditEvent):
        assert router.db_for_read(AuditEvent) == DEFAULT_DB_ALIAS


def test_writes_and_migrations_are_the_primarys(replica: str) -> None:
    with stale_reads_allowed(AuditEvent):
        assert router.db_for_write(AuditEvent) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "perscom_oauth") is True
    assert router.allow_migrate(replica, "perscom_oauth") is False  # it replays the primary's
    assert router.allow_migrate("analytics", "reports") is None  # the host's other database
    on_primary, on_replica, elsewhere = Organization(), Organization(), Organization()
    on_primary._state.db, on_replica._state.db, elsewhere._state.db = DEFAULT_DB_ALIAS, replica, "analytics"
    assert router.allow_relation(on_primary, on_replica) is True
    assert router.allow_relation(on_primary, elsewhere) is None


def test_no_security_decision_reads_a_paused_replica() -> None:
    reason = replica_support.unavailable()
    if reason is not None:
        on_postgresql = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        if os.environ.get("CI") == "true" and on_postgresql:
            pytest.fail(f"{reason} (CI's PostgreSQL pass must run it)", pytrace=False)
        pytest.skip(reason)
    command = [
        sys.executable,
        *("-m", "pytest", "-q", "-p", "no:cacheprovider"),
        "--ds=tests.replica_settings",
        "tests/replica",
    ]
    with replica_support.primary_and_replica() as pair:
        environment = {
            **os.environ,
            "PERSCOM_REPLICA_PRIMARY_URL": pair.primary_url,
            "PERSCOM_REPLICA_STANDBY_URL": pair.replica_url,
        }
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300
        )
    output = result.stdout + result.stderr
    tail = "\n".join(output.splitlines()[-60:])
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{tail}"
    assert re.search(r"\b[1-9]\d* passed\b", output) and " skipped" not in output, tail
