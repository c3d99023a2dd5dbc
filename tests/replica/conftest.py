"""The replica suite's database: the private primary, migrated once, and its replica caught up.

No test database and no per-test transaction (pytest-django's ``db``): a test's writes must
commit to reach the replica. Each test makes organizations and users of its own instead, and
the whole pair is thrown away afterwards (tests/replica_support.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

#: How long the replica may take to replay what the primary committed.
REPLAY_SECONDS = 10


def query(alias: str, sql: str, *params: object) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def replayed() -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    target = query("default", "SELECT pg_current_wal_insert_lsn()::text")
    deadline = time.monotonic() + REPLAY_SECONDS
    while not query("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", target):
        assert time.monotonic() < deadline, f"the replica did not replay up to {target}"
        time.sleep(0.02)


def pause_replay() -> None:
    query("replica", "SELECT pg_wal_replay_pause()::text")
    deadline = time.monotonic() + REPLAY_SECONDS
    while query("replica", "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "the replica did not pause its replay"
        time.sleep(0.02)


def resume_replay() -> None:
    query("replica", "SELECT pg_wal_replay_resume()::text")
    replayed()


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        assert query("replica", "SELECT pg_is_in_recovery()"), "the replica alias is no standby"
        call_command("migrate", verbosity=0)
        replayed()


@pytest.fixture(autouse=True)
def database(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def paused() -> Iterator[None]:
    """The replica has everything committed so far, then replays nothing until the test ends."""
    replayed()
    pause_replay()
    try:
        yield
    finally:
        resume_replay()


class Spy:
    """The statements run on one alias while it is installed."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append(sql)
        return execute(sql, params, many, context)


@contextmanager
def replica_reads() -> Iterator[Spy]:
    """What reads the replica within (the Django test client runs the request in this thread)."""
    spy = Spy()
    with connections["replica"].execute_wrapper(spy):
        yield spy


@contextmanager
def replica_untouched() -> Iterator[None]:
    """Nothing within reads the replica: every statement went to the primary."""
    with replica_reads() as spy:
        yield
    assert spy.statements == [], "read the replica:\n" + "\n".join(spy.statements)
