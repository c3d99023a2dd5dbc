"""A database router for a PostgreSQL primary with a read replica: optional, fail closed.

``ReplicaRouter`` sends a read to the replica named by ``PERSCOM_OAUTH["REPLICA_DATABASE"]``
only where the code path said that a stale answer is harmless, with
``stale_reads_allowed(Model, ...)``, and only for the models it named. Everything else reads
the primary (``default``): a token check on a cache miss, a code exchange, a refresh, a
revocation, consent, membership and plan checks. A replica lags; a revocation takes effect
immediately (RFC 7009 §2) and a code is used once (RFC 6749 §4.1.2), so no security decision
may read a copy that has not seen the last commit. docs/replicas.md says what opts in.

Install it last in ``DATABASE_ROUTERS`` (system check E039): it answers every model, so a
router after it is never asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from .conf import oauth_settings

#: The dotted path to name in ``DATABASE_ROUTERS``.
PATH = "perscom_oauth.routers.ReplicaRouter"

#: The models whose reads may be stale in the current code path (a context, so each request,
#: thread or task has its own).
_stale_models: ContextVar[frozenset[type[Model]]] = ContextVar(
    "perscom_oauth_stale_models", default=frozenset()
)


@contextmanager
def stale_reads_allowed(*models: type[Model]) -> Iterator[None]:
    """Reads of ``models`` within may go to the replica (a context manager, or a decorator).

    Only for what is displayed and decides nothing: a list page, a discovery document's
    advertisement. Nested, the models add up; ``primary_reads()`` inside turns it off again."""
    token = _stale_models.set(_stale_models.get() | frozenset(models))
    try:
        yield
    finally:
        _stale_models.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Every read within goes to the primary, whatever an enclosing ``stale_reads_allowed``
    said: for a security decision made inside a page that may otherwise be stale (who
    administers what, on an admin list)."""
    token = _stale_models.set(frozenset())
    try:
        yield
    finally:
        _stale_models.reset(token)


def replica_alias() -> str | None:
    """The replica's alias in ``DATABASES``, or None (no replica: every read is the primary's)."""
    alias: str | None = oauth_settings.REPLICA_DATABASE
    return alias if alias and alias != DEFAULT_DB_ALIAS else None


def may_read_stale(model: type[Model]) -> bool:
    allowed = _stale_models.get()
    if not allowed or (model not in allowed and model._meta.concrete_model not in allowed):
        return False
    # A transaction reads its own writes, and what it read must not change under it: the
    # primary's (with ATOMIC_REQUESTS, every view's reads).
    return not connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaRouter:
    """``DATABASE_ROUTERS = [..., "perscom_oauth.routers.ReplicaRouter"]`` (last).

    Reads: the replica for the models a ``stale_reads_allowed`` around the call names, outside
    a transaction; the primary otherwise. Writes: the primary. Migrations: the primary, never
    the replica (it replays the primary's). Relations between the two: allowed (one database)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        replica = replica_alias()
        if replica is not None and may_read_stale(model):
            return replica
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        same = {DEFAULT_DB_ALIAS, replica_alias() or DEFAULT_DB_ALIAS}
        if obj1._state.db in same and obj2._state.db in same:
            return True
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if db == DEFAULT_DB_ALIAS:
            return True
        if db == replica_alias():
            return False
        return None  # another database of the host's: not ours to say
