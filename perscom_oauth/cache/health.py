"""Whether Django's cache answers, and what its return means for cached token state.

A cache outage costs two things and nothing else (SECURITY.md): token checks go to the
database (``cache.entries``), and the brute-force throttle is off (``tenancy.throttle``). A change made
while the cache is unreachable (a revocation, a suspension) cannot mark the entries it affects
stale, and a cache that comes back *with its data* (a partition, a paused host) still holds
them. So every process that saw the outage starts a new cache *epoch* when it sees the cache
answer again: every entry written before it is then read as a miss, in every process
(``cache.entries``). A process whose invalidation failed does not wait for its next request to
do so: a thread of its own keeps trying until the cache answers (``lost_invalidation``). The
per-process ``down`` flag only decides who starts the epoch and when to log.

The epoch is one key per shard (``cache.shards``), so that a request reads it in the same
Redis Cluster slot as the rest of its keys; a new epoch is the same value written to all of
them in one call, and counts as started only once every one was written.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from django.core.cache import cache as shared_cache

from . import shards

logger = logging.getLogger("perscom_oauth.cache")

#: The pause between retries that failed at once (a cache that refuses connections); a cache
#: host that hangs makes each try wait for the client's socket timeout instead, so that a try
#: is nearly always in flight when it comes back.
RETRY_SECONDS = 0.05


def epoch_key(shard: int) -> str:
    """The current epoch of cached token and host state in ``shard``; entries carry the one
    they were read in."""
    return shards.key(shard, "epoch")


class CacheHealth:
    down = False

    @classmethod
    def failed(cls) -> None:
        if not cls.down:
            logger.warning(
                "perscom_oauth: cache unreachable; token checks use the database and brute-force "
                "throttling is off",
                exc_info=True,
            )
        cls.down = True

    @classmethod
    def worked(cls) -> str | None:
        """Record a successful cache operation. When it ends an outage this process saw, start
        a new epoch and return it (None otherwise, or when the cache failed again)."""
        if not cls.down:
            return None
        epoch = uuid.uuid4().hex
        try:
            shared_cache.set_many({epoch_key(shard): epoch for shard in range(shards.SHARDS)}, timeout=None)
        except Exception:  # down again: the next success tries anew
            return None
        logger.warning("perscom_oauth: cache reachable again; entries cached before the outage are dropped")
        cls.down = False
        return epoch

    @classmethod
    def lost_invalidation(cls, give_up_after: float) -> None:
        """An invalidation could not be written: keep trying to start a new epoch in a thread
        of this process until the cache answers, so that no process serves an entry from
        before the change even while this one stays idle. After ``give_up_after`` seconds
        (TOKEN_CACHE_SECONDS) every such entry has expired anyway."""
        cls.failed()
        with _retrying:
            if any(thread.name == _RETRY_THREAD for thread in threading.enumerate()):
                return
            retry = threading.Thread(
                target=cls._retry, args=(give_up_after,), name=_RETRY_THREAD, daemon=True
            )
            retry.start()

    @classmethod
    def _retry(cls, give_up_after: float) -> None:
        deadline = time.monotonic() + give_up_after
        while cls.down and time.monotonic() < deadline:
            started = time.monotonic()
            cls.worked()
            if time.monotonic() - started < RETRY_SECONDS:
                time.sleep(RETRY_SECONDS)


_RETRY_THREAD = "perscom-oauth-cache-epoch"
_retrying = threading.Lock()
