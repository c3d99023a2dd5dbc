"""The validated state of hot tokens and hosts, in Django's cache (Redis in production).

A protected request with a hot token costs one cache round trip and no SQL: ``tenancy``
fetches, in one ``get_many`` (``fetch``), the host's organization, the token's validated
state, and the values both were read under: the organization's generation, the token's nonce
and the cache epoch (``cache.generations``, ``cache.health``). All five keys carry the shard of
the request's host name (``cache.shards``), so on Redis Cluster they share a slot and the read
is one ``MGET`` to one node. ``tokens.check`` uses them. What an
entry holds was checked against the database when it was stored: the access token with its
application and user, the user's membership and effective scopes. The organization's plan is
checked on every request, from the host entry.

An entry is used only while the values it was tagged with still hold. They are read *before*
the database read whose answer is stored, and every change publishes new ones after it
commits, so an answer read before a change can never be used after it: storing is a plain
``set``, with no window between a check and a write (``cache.generations`` says why that holds
whatever the order of concurrent writers). ``TOKEN_CACHE_SECONDS`` bounds an entry's life as a
backstop only.

A cache outage falls back to the database (one warning in the log), never to stale access.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, TypeGuard, cast

from django.core.cache import cache as shared_cache
from django.utils import timezone

from ..conf import oauth_settings
from ..scopes.registry import registry_fingerprint
from . import generations, shards
from .health import CacheHealth, epoch_key

if TYPE_CHECKING:
    from ..typing import AccessToken, Organization

#: Hosts change rarely; their entries are tagged like tokens, this only bounds their life.
HOST_SECONDS = 24 * 3600
#: What a request found when it did not look (no token, the cache off): nothing usable.
MISS = object()


@dataclass(frozen=True)
class Entry:
    """A value checked against the database under ``tags``."""

    tags: tuple[str | None, ...]
    value: object


@cache
def _adapter_tag(adapter: str) -> str:
    return hashlib.sha256(adapter.encode()).hexdigest()[:6]


def namespace() -> str:
    # Entries computed under other scopes or another adapter (a deploy) are never read.
    return f"{registry_fingerprint()}{_adapter_tag(oauth_settings.ADAPTER)}"


def host_key(hostname: str) -> str:
    return shards.key(shards.shard_of(hostname), "host", hostname)


def token_key(shard: int, token_checksum: str) -> str:
    """A token's entry in one shard: a token presented at hosts of several shards is checked
    and stored once in each, under that shard's nonce."""
    return shards.key(shard, "tok", namespace(), token_checksum)


def enabled() -> bool:
    return bool(oauth_settings.TOKEN_CACHE_SECONDS)


@dataclass
class Lookup:
    """What one round trip found for a request's host and bearer token, and how to store what
    the database answers instead."""

    hostname: str
    token_checksum: str | None
    epoch: str | None
    generation: str | None
    nonce: str | None
    host_entry: object = MISS
    token_entry: object = MISS
    #: Whether the generation was read from the cache before any database read of this
    #: request (so an organization read afterwards may be stored under it).
    generation_cached: bool = field(default=True)

    @property
    def shard(self) -> int:
        """Where this request's keys are read and written (``cache.shards``)."""
        return shards.shard_of(self.hostname)

    # --- hosts ---------------------------------------------------------------------------------

    def organization(self) -> Organization | None:
        """The host's organization from a valid entry, or None."""
        entry = self.host_entry
        if _valid(entry, (self.epoch, self.generation)):
            return cast("Organization", entry.value)  # what store_organization stored
        return None

    def entry_organization(self) -> Organization | None:
        """The organization of the host entry whatever its tags: which generation to read."""
        entry = self.host_entry
        return cast("Organization", entry.value) if isinstance(entry, Entry) else None

    def adopt_generation(self, value: str, cached_before_reads: bool) -> None:
        """The database's generation, read because the cache's copy had expired: published for
        the other processes (``add``: a value published since by a change wins) and used
        for this request's entries."""
        self.generation, self.generation_cached = value, cached_before_reads
        key = generations.generation_key(self.hostname)
        _write(lambda: shared_cache.add(key, value, generations.generation_seconds()))

    def store_organization(self, organization: Organization) -> None:
        if self.generation is not None and self.generation_cached:
            self._store(host_key(self.hostname), organization, HOST_SECONDS, (self.epoch, self.generation))

    # --- tokens --------------------------------------------------------------------------------

    def token(self, organization: Organization) -> AccessToken | None:
        """The access token of a valid entry for this organization, if unexpired."""
        entry = self.token_entry
        if not _valid(entry, (self.epoch, self.generation, self.nonce)):
            return None
        organization_pk, token = cast("tuple[int, AccessToken]", entry.value)  # what store_token stored
        if organization_pk != organization.pk or token.is_expired():
            return None
        return token

    def prepare_token_read(self) -> None:
        """Before the database read of a token that has no nonce yet: give it one, so that what
        is read next can be stored under it (``add``: if another request gave it one first,
        this one stores nothing)."""
        if self.token_checksum is None or self.nonce is not None or self.epoch is MISSING_EPOCH:
            return
        nonce = generations.fresh_value()
        key = generations.nonce_key(self.shard, self.token_checksum)
        if _write(lambda: shared_cache.add(key, nonce, generations.nonce_seconds())):
            self.nonce = nonce

    def store_token(self, token: AccessToken, organization_pk: int) -> None:
        if self.token_checksum is None or self.generation is None or self.nonce is None:
            return
        seconds = (token.expires - timezone.now()).total_seconds()
        tags = (self.epoch, self.generation, self.nonce)
        self._store(token_key(self.shard, self.token_checksum), (organization_pk, token), seconds, tags)

    # --- internals -----------------------------------------------------------------------------

    def _store(self, key: str, value: object, seconds: float, tags: tuple[str | None, ...]) -> None:
        seconds = min(seconds, oauth_settings.TOKEN_CACHE_SECONDS)
        if seconds >= 1 and self.epoch is not MISSING_EPOCH:
            _write(lambda: shared_cache.set(key, Entry(tags, value), timeout=seconds))


#: The epoch of a lookup that did not reach the cache: nothing is written back.
MISSING_EPOCH: str | None = "\0unreachable"


def fetch(hostname: str, token_checksum: str | None) -> Lookup:
    """One round trip: the host's entry and generation, the epoch, and with a token its entry
    and nonce, all in the host name's shard (one Redis Cluster slot). An unreachable cache
    finds nothing, and nothing is written back."""
    shard = shards.shard_of(hostname)
    keys = [host_key(hostname), generations.generation_key(hostname), epoch_key(shard)]
    if token_checksum is not None:
        keys += [token_key(shard, token_checksum), generations.nonce_key(shard, token_checksum)]
    try:
        found, primary_id = _read(keys)
    except Exception:  # any backend's connection error: the database decides instead
        CacheHealth.failed()
        return Lookup(hostname, token_checksum, MISSING_EPOCH, None, None, generation_cached=False)
    # Back from an outage this process saw: what was just read predates the new epoch.
    epoch = CacheHealth.worked() or _text(found.get(keys[2]))
    if primary_id:  # behind Sentinel: nothing read from another primary matches (cache.sentinel)
        epoch = f"{primary_id}/{epoch}"
    lookup = Lookup(
        hostname,
        token_checksum,
        epoch,
        _text(found.get(keys[1])),
        None,
        host_entry=found.get(keys[0], MISS),
    )
    if token_checksum is not None:
        lookup.token_entry = found.get(keys[3], MISS)
        lookup.nonce = _text(found.get(keys[4]))
    return lookup


def _read(keys: list[str]) -> tuple[dict[str, object], str]:
    """The values of ``keys`` and, behind Sentinel, the replication ID of the primary that
    answered (``cache.sentinel``); elsewhere an empty one."""
    from_primary = getattr(shared_cache, "get_many_from_primary", None)
    if from_primary is None:
        return shared_cache.get_many(keys), ""
    return cast("tuple[dict[str, object], str]", from_primary(keys))


def _valid(raw: object, tags: tuple[str | None, ...]) -> TypeGuard[Entry]:
    """An entry stored under exactly these tags, none of them unknown (the epoch may be None:
    no outage has started one yet)."""
    return isinstance(raw, Entry) and None not in tags[1:] and raw.tags == tags


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _write(operation: Callable[[], object]) -> bool:
    """Run a cache write; False when the cache failed (noted for ``cache.health``)."""
    try:
        return bool(operation())
    except Exception:
        CacheHealth.failed()
        return False
