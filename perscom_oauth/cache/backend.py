"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new ``redis.Redis``
for every cache operation (about 70 µs here, copying its table of response callbacks), which is
more than the round trip itself on a hot token check. A ``redis.Redis`` is thread-safe and
shares its pool, so one per pool is enough. ``count`` adds what the throttle needs: several
counters changed in one round trip. Everything else is Django's backend, unchanged::

    CACHES = {"default": {"BACKEND": "perscom_oauth.cache.backend.RedisCache", "LOCATION": url}}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache.backends import redis

if TYPE_CHECKING:
    from redis.client import Redis


class ReusingRedisCacheClient(redis.RedisCacheClient):
    # Any: passed on unchanged to Django's RedisCacheClient (its stub types each of them).
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: str | bytes | memoryview | None = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # not in the stubs
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


#: Per key: a positive delta creates a missing counter (expiring after ARGV[1] seconds) and adds
#: to it; a negative one only changes a counter that exists (false: there is none). Atomic.
COUNT_SCRIPT = """
local totals = {}
for i, key in ipairs(KEYS) do
  local delta = tonumber(ARGV[i + 1])
  if delta > 0 then
    redis.call('set', key, 0, 'nx', 'ex', ARGV[1])
    totals[i] = redis.call('incrby', key, delta)
  elseif redis.call('exists', key) == 1 then
    totals[i] = redis.call('incrby', key, delta)
  else
    totals[i] = false
  end
end
return totals
"""


class RedisCache(redis.RedisCache):
    # Any: Django's cache backend API (RedisCache's stub), a setting's OPTIONS and the like.
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class: type[redis.RedisCacheClient] = ReusingRedisCacheClient

    def count(self, deltas: dict[str, int], timeout: int) -> list[int | None]:
        """Add each delta to its counter, in one round trip (Django's ``add`` and ``incr`` take
        one each, ``incr`` two): the new totals, None where a negative delta found no counter.
        (``cache.cluster.RedisClusterCache`` runs it once per Redis Cluster slot.)"""
        keys = [self.make_and_validate_key(key) for key in deltas]
        client = self._cache.get_client(None, write=True)
        totals = client.eval(COUNT_SCRIPT, len(keys), *keys, timeout, *deltas.values())
        return [None if total is None else int(total) for total in totals]
