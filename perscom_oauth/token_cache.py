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
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.core.cache import cache as shared_cache
from django.db import transaction
from django.utils import timezone

from .cache_health import CacheHealth
from .conf import oauth_settings
from .scopes import registry_fingerprint

logger = logging.getLogger(__name__)

#: Invalidation writes ``(STALE, <unique id>)``; it lives long enough to outlast any request
#: that read old state.
STALE = "stale"
STALE_SECONDS = 120
#: Hosts change rarely and are invalidated like tokens; TOKEN_CACHE_SECONDS still bounds them.
HOST_SECONDS = 24 * 3600
MISS = object()


@cache
def _adapter_tag(adapter: str) -> str:
    return hashlib.sha256(adapter.encode()).hexdigest()[:6]


def namespace() -> str:
    # Entries computed under other scopes or another adapter (a deploy) are never read.
    return f"{registry_fingerprint()}{_adapter_tag(oauth_settings.ADAPTER)}"


def host_key(hostname: str) -> str:
    return f"perscom_oauth:host:{hostname}"


def token_key(token_checksum: str) -> str:
    return f"perscom_oauth:tok:{namespace()}:{token_checksum}"


def get_many(keys: list[str]) -> dict[str, Any]:
    """The entries found (a stale mark included); nothing at all when the cache is down."""
    if not oauth_settings.TOKEN_CACHE_SECONDS:
        return {}
    try:
        found = shared_cache.get_many(keys)
    except Exception:  # any backend's connection error: the database decides instead
        CacheHealth.failed()
        return {}
    CacheHealth.worked()
    return found


def is_stale(entry: Any) -> bool:
    return isinstance(entry, tuple) and len(entry) == 2 and entry[0] == STALE


def store(key: str, value: Any, seconds: float, found: Any) -> None:
    """Store an answer just read from the database, where this request ``found`` nothing
    (``add``: a stale mark written meanwhile wins) or a stale mark (replaced only if it is
    still the same mark: one written since, by a change committed after our read, wins)."""
    seconds = min(seconds, oauth_settings.TOKEN_CACHE_SECONDS)
    if seconds < 1:
        return
    try:
        if not is_stale(found):
            shared_cache.add(key, value, timeout=seconds)
        elif shared_cache.get(key) == found:
            shared_cache.set(key, value, timeout=seconds)
    except Exception:
        CacheHealth.failed()


def store_token(token_checksum: str, token: Any, organization_pk: Any, found: Any) -> None:
    seconds = (token.expires - timezone.now()).total_seconds()
    store(token_key(token_checksum), (organization_pk, token), seconds, found)


def cached_token(entry: Any, organization: Any) -> Any | None:
    """The access token of a cache entry, if it is one for this organization and unexpired."""
    if not isinstance(entry, tuple) or is_stale(entry) or entry[0] != organization.pk:
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
            # The entries may outlive this change by at most TOKEN_CACHE_SECONDS.
            logger.error("perscom_oauth: could not invalidate %d cached entries", len(keys), exc_info=True)

    # Now, so that this transaction's own later reads see it, and again when it commits: a
    # request that read the old state meanwhile may have replaced the first mark.
    mark()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(mark)
