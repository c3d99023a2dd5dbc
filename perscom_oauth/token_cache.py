"""The validated state of hot tokens and hosts, in Django's cache (Redis in production).

A protected request with a hot token costs one cache round trip and no SQL: ``tenancy``
fetches the host's organization and the token's validated state in one ``get_many``, and
``token_check`` uses them. What an entry holds was checked against the database when it was
stored: the access token with its application and user, the user's membership and effective
scopes. The organization's plan is checked on every request, from the host entry.

Correctness comes from explicit invalidation (``invalidation.py``), never from the timeout
alone: every change that could alter an answer (a token deleted or revoked, an application,
organization or domain changed, a membership, a role's or a user's permissions, a user's
active flag) marks the affected entries stale when its transaction commits, in the shared
cache (at once, and again when it commits), so every process sees it on its very next
request. A stale mark is a value, not a
deletion: a request that read the database before the change committed stores its answer with
``add``, which cannot overwrite the mark, or replaces a mark it found only while that very
mark is still there (the commit writes a new one). ``TOKEN_CACHE_SECONDS`` bounds an entry's life as a
backstop.

A cache outage falls back to the database (one warning in the log), never to stale access.
Every entry carries the cache epoch it was read in (``cache_health``): a change made during
an outage could not mark its entries stale, so the first process to see the cache again
starts a new epoch and every older entry reads as a miss.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.core.cache import cache as shared_cache
from django.db import transaction
from django.utils import timezone

from .cache_health import EPOCH_KEY, CacheHealth
from .conf import oauth_settings
from .scopes import registry_fingerprint

if TYPE_CHECKING:
    from .typing import AccessToken, Organization

logger = logging.getLogger(__name__)

#: Invalidation writes ``(STALE, <unique id>)``; it lives long enough to outlast any request
#: that read old state.
STALE = "stale"
STALE_SECONDS = 120
#: Hosts change rarely and are invalidated like tokens; TOKEN_CACHE_SECONDS still bounds them.
HOST_SECONDS = 24 * 3600
MISS = object()


@dataclass(frozen=True)
class Entry:
    """A value checked against the database in ``epoch``."""

    epoch: str | None
    value: object


@dataclass(frozen=True)
class Unusable:
    """What the cache held under a key that must not be used (``raw``: nothing, that is
    ``MISS``, a stale mark or an entry of another epoch), and the epoch to store an answer in."""

    raw: object
    epoch: str | None


@cache
def _adapter_tag(adapter: str) -> str:
    return hashlib.sha256(adapter.encode()).hexdigest()[:6]


def namespace() -> str:
    # Entries computed under other scopes or another adapter (a deploy) are never read.
    return f"{registry_fingerprint()}{_adapter_tag(oauth_settings.ADAPTER)}"


def host_key(hostname: str) -> str:
    return f"perscom_oauth:v2:host:{hostname}"


def token_key(token_checksum: str) -> str:
    return f"perscom_oauth:v2:tok:{namespace()}:{token_checksum}"


def get_many(keys: list[str]) -> dict[str, object]:
    """Each key's value, or ``Unusable``; nothing at all when the cache is down (or off)."""
    if not oauth_settings.TOKEN_CACHE_SECONDS:
        return {}
    try:
        found = shared_cache.get_many([*keys, EPOCH_KEY])
    except Exception:  # any backend's connection error: the database decides instead
        CacheHealth.failed()
        return {}
    # Back from an outage this process saw: what was just read predates the new epoch.
    epoch = CacheHealth.worked() or found.get(EPOCH_KEY)
    return {key: _usable(found.get(key, MISS), epoch) for key in keys}


def _usable(raw: object, epoch: str | None) -> object:
    if isinstance(raw, Entry) and raw.epoch == epoch:
        return raw.value
    return Unusable(raw, epoch)


def usable(found: object) -> bool:
    return found is not MISS and not isinstance(found, Unusable)


def store(key: str, value: object, seconds: float, found: object) -> None:
    """Store an answer just read from the database where this request ``found`` an ``Unusable``
    entry: nothing (``add``: a stale mark written meanwhile wins) or a stale or older entry
    (replaced only while it is still there: a mark written since, by a change committed after
    our read, wins). Nothing is stored when the read did not reach the cache."""
    seconds = min(seconds, oauth_settings.TOKEN_CACHE_SECONDS)
    if seconds < 1 or not isinstance(found, Unusable):
        return
    entry = Entry(found.epoch, value)
    try:
        if found.raw is MISS:
            shared_cache.add(key, entry, timeout=seconds)
        elif shared_cache.get(key) == found.raw:
            shared_cache.set(key, entry, timeout=seconds)
    except Exception:
        CacheHealth.failed()


def store_token(token_checksum: str, token: AccessToken, organization_pk: int, found: object) -> None:
    seconds = (token.expires - timezone.now()).total_seconds()
    store(token_key(token_checksum), (organization_pk, token), seconds, found)


def cached_token(entry: object, organization: Organization) -> AccessToken | None:
    """The access token of a cache entry, if it is one for this organization and unexpired."""
    if not isinstance(entry, tuple) or entry[0] != organization.pk:
        return None
    token = entry[1]
    return None if token.is_expired() else token


def mark_stale(keys: Iterable[str]) -> None:
    """Mark entries stale in every process, now and once the current transaction commits."""
    keys = list(keys)
    if not keys:
        return

    def mark() -> None:
        try:
            shared_cache.set_many(dict.fromkeys(keys, (STALE, uuid.uuid4().hex)), timeout=STALE_SECONDS)
        except Exception:
            # Outdated entries the cache still holds once it answers again are dropped by the
            # new epoch that this process starts then (cache_health).
            CacheHealth.lost_invalidation(give_up_after=oauth_settings.TOKEN_CACHE_SECONDS)
            logger.error("perscom_oauth: could not invalidate %d cached entries", len(keys), exc_info=True)

    # Now, so that this transaction's own later reads see it, and again when it commits: a
    # request that read the old state meanwhile may have replaced the first mark.
    mark()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(mark)
