"""Generations: what makes a cached token or host entry outdated, by construction.

Every entry in the token cache (``cache.entries``) is *tagged* with the values it was read under,
taken from the cache **before** the database read that produced it:

- the **organization's generation** at the request's host (``generation_key(hostname)``);
  the database holds it (``models.Generation``), bumped in the same transaction as every
  change that could alter an answer for that organization (its plan, domains, applications,
  memberships, roles, its users' permissions, a revocation); the cache holds a copy for at
  most ``GENERATION_SECONDS``;
- the **token's nonce** (``nonce_key(shard, checksum)``), a value of the cache's only,
  replaced when that one token is deleted, rotated or revoked;
- the cache epoch (``cache.health``).

Each of them is read in the shard of the request's host name (``cache.shards``: one Redis
Cluster slot for everything a request reads). A generation is per host name, so it lives in
its host's shard; a token may be presented at any host of its organization, so it has a nonce
per shard, and ``forget_tokens`` replaces all of them (``SHARDS`` keys per token).

An entry is used only while all of them still read the same. A change publishes new values
after it commits (and a provisional one at once, for reads inside its own transaction), so a
request that read the database before the commit stored its answer under values that no
longer hold: no compare-and-set is needed, and the order in which two changes publish does not
matter (a value shows in the cache only after the commit that made it). Invalidation costs
O(1) in the number of live tokens: one ``UPDATE`` and one cache write per organization (a
token deleted or revoked costs its ``SHARDS`` nonces, in the same single write as the others).

What the cache alone cannot be told (a process that dies or cannot reach it, a cache restored
from a snapshot) is still seen: the database's generation moved, and the cache's copy of it
expires within ``GENERATION_SECONDS``; the next request then reads the database's value (one
primary-key query per host in that interval).

The one call for changes the package cannot see (a queryset of a host's own models, raw SQL,
a host's membership or plan table): ``perscom_oauth.invalidate(...)``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.cache import cache as shared_cache
from django.db import connections, router, transaction
from django.db.models import F

from ..conf import oauth_settings
from . import shards
from .health import CacheHealth

if TYPE_CHECKING:
    from ..typing import Application, Organization, User

logger = logging.getLogger("perscom_oauth.generations")  # its name before 0.3, kept


def generation_key(hostname: str) -> str:
    return shards.key(shards.shard_of(hostname), "gen", hostname)


def nonce_key(shard: int, token_checksum: str) -> str:
    return shards.key(shard, "nonce", token_checksum)


def fresh_value() -> str:
    """A value no other write ever publishes: a provisional generation or a token nonce."""
    return uuid.uuid4().hex


def published(organization_id: object, value: int) -> str:
    # Unique across organizations: a host moved to another organization never reads as
    # unchanged because the two counters happen to be equal.
    return f"{organization_id}:{value}"


def current(organization: Organization) -> str:
    """The database's generation of ``organization``, as the cache publishes it."""
    from ..models import Generation

    value = (
        Generation.objects.filter(organization=str(organization.pk)).values_list("value", flat=True).first()
    )
    return published(organization.pk, value or 0)


def invalidate(
    *,
    organization: Organization | int | None = None,
    user: User | int | None = None,
    application: Application | None = None,
    hostnames: Iterable[str] = (),
) -> None:
    """Make every cached answer that the change at hand may alter unusable, on every process.

    Call it, inside the transaction that makes the change, for changes the package cannot see:
    a queryset ``update()`` of your own models, raw SQL, your own membership, role or plan
    tables (docs/token-cache.md). ``organization``: anything about it or its members;
    ``user``: the user's permissions or active flag (every organization where the user is a
    member or holds a token); ``application``: its settings; ``hostnames``: hosts that no
    longer answer for the organization they did (a renamed or deleted domain)."""
    organizations: set[int] = set()
    if organization is not None:
        organizations.add(organization if isinstance(organization, int) else organization.pk)
    if application is not None:
        organizations.add(application.organization_id)
    if user is not None:
        organizations |= organizations_of_user(user if isinstance(user, int) else user.pk)
    bump(organizations, hostnames)


def organizations_of_user(user_id: int) -> set[int]:
    """Where a user's change can alter an answer: their memberships, and the organizations of
    the applications they hold tokens of (a superuser, or a member removed meanwhile)."""
    from oauth2_provider.models import get_access_token_model

    from ..models import Membership

    member = Membership.objects.filter(user_id=user_id).values_list("organization_id", flat=True)
    tokens = (
        get_access_token_model()
        .objects.filter(user_id=user_id)
        .values_list("application__organization_id", flat=True)
        .distinct()
    )
    return {*member, *(pk for pk in tokens if pk is not None)}


def bump(organizations: Iterable[int], hostnames: Iterable[str] = (), publish: bool = True) -> None:
    """Move the generations of ``organizations`` on in the database, in the caller's
    transaction (so they move exactly when the change commits), and publish them to the cache
    unless ``publish`` is false (the cache's copies then expire within GENERATION_SECONDS: a
    revocation makes its tokens' entries unusable at once through their nonces)."""
    ids = sorted(set(organizations))
    hostnames = set(hostnames)
    values = _move(ids)
    if not publish:
        return
    hosts = _hostnames_by_organization(ids)
    # Host names that no longer answer for the organization they did get a value of their own;
    # those that still do (a domain saved unchanged) get their organization's.
    committed: dict[str, str] = dict.fromkeys(hostnames, fresh_value())
    for organization_id, names in hosts.items():
        committed.update(dict.fromkeys(names, published(organization_id, values[str(organization_id)])))
    # At once: this transaction's own later reads (and any request that reads the database
    # before the commit) are tagged with a value that the commit replaces ...
    _publish(dict.fromkeys(committed, fresh_value()))
    if transaction.get_connection().in_atomic_block:
        # ... and once it commits, the values it committed. Another change's may be published
        # before or after them: either way an entry read before that change is unusable.
        transaction.on_commit(lambda: _publish(committed))
    else:
        _publish(committed)


def _move(organization_ids: list[int]) -> dict[str, int]:
    """Add one to each generation (a missing row: 1) and return the new values by key, in one
    statement where the database can (``INSERT ... ON CONFLICT ... RETURNING``)."""
    from ..models import Generation

    keys = sorted({str(pk) for pk in organization_ids})
    if not keys:
        return {}
    connection = connections[router.db_for_write(Generation)]
    if connection.vendor in ("postgresql", "sqlite") and connection.features.can_return_columns_from_insert:
        quote = connection.ops.quote_name
        table, key, value = quote(Generation._meta.db_table), quote("organization"), quote("value")
        rows = ", ".join(["(%s, 1)"] * len(keys))
        # Names quoted by the backend, values parametrized.
        statement = (
            f"INSERT INTO {table} ({key}, {value}) VALUES {rows} "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET {value} = {table}.{value} + 1 RETURNING {key}, {value}"
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, keys)
            return {row[0]: row[1] for row in cursor.fetchall()}
    with transaction.atomic(using=connection.alias):
        Generation.objects.bulk_create([Generation(organization=k) for k in keys], ignore_conflicts=True)
        Generation.objects.filter(organization__in=keys).update(value=F("value") + 1)
        return dict(Generation.objects.filter(organization__in=keys).values_list("organization", "value"))


def forget_tokens(checksums: Iterable[str]) -> None:
    """Give each of these access tokens a new nonce in every shard (it may have been read at
    any host name of its organization), now and once the transaction commits."""
    keys = [nonce_key(shard, value) for value in checksums if value for shard in range(shards.SHARDS)]
    if not keys:
        return

    def publish() -> None:
        _publish({key: fresh_value() for key in keys}, raw=True)

    publish()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(publish)


def _hostnames_by_organization(organization_ids: list[int]) -> dict[int, list[str]]:
    from ..adapter import get_adapter

    if not organization_ids:
        return {}
    return {pk: list(names) for pk, names in get_adapter().hostnames_of(organization_ids).items()}


def _publish(values: dict[str, str], raw: bool = False) -> None:
    """Write generations (by host name) or nonces (``raw``: by key) to the cache. A cache that
    cannot be reached is not retried value by value: the epoch it gets when it answers again
    drops every entry (``cache.health``), and the database's generations hold meanwhile."""
    if not values or not oauth_settings.TOKEN_CACHE_SECONDS:
        return
    if raw:
        entries, timeout = values, nonce_seconds()
    else:
        entries, timeout = {generation_key(h): v for h, v in values.items()}, generation_seconds()
    try:
        shared_cache.set_many(entries, timeout=timeout)
    except Exception:
        CacheHealth.lost_invalidation(give_up_after=oauth_settings.TOKEN_CACHE_SECONDS)
        logger.error("perscom_oauth: could not publish %d cache generations", len(entries), exc_info=True)


def generation_seconds() -> int:
    return int(oauth_settings.GENERATION_SECONDS)


def nonce_seconds() -> int:
    # A nonce outlives every entry tagged with it; an expired one reads as changed.
    return int(oauth_settings.TOKEN_CACHE_SECONDS) + 60
