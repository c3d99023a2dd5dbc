"""Django's Redis cache on Redis Cluster, with the token cache's hot path in one round trip.

Redis Cluster refuses a command whose keys are in several slots (CROSSSLOT), and Django's Redis
backend sends several keys in one command (``MGET``, ``MSET``). Here:

- ``get_many`` is one ``MGET`` to one node when its keys share a slot, as a protected request's
  keys do (``cache.shards``), and one ``MGET`` per slot, pipelined, when they do not;
- ``set_many`` and ``delete_many`` are pipelined per node: one round trip to each node that holds
  one of the keys (a revocation's nonces, a new epoch: ``cache.generations``, ``cache.health``);
- ``count`` (the throttle's atomic counters, ``cache.backend.COUNT_SCRIPT``) runs its script
  once per slot: a request's counters share one (``tenancy.throttle`` tags them by source
  address), so it stays one round trip.

One ``redis.cluster.RedisCluster`` serves every thread of a process (it is thread-safe, and
building one asks the cluster for its slots and commands): LOCATION names one or more startup
nodes, OPTIONS go to ``RedisCluster`` (socket timeouts, TLS, ``retry``). Unless OPTIONS name a
``retry``, a failed command is not retried: the token cache falls back to the database, so a
node that stops answering costs a request one socket timeout, as one Redis does (redis-py's
default, three retries with backoff and a topology refresh, cost 5 to 7 s per request while
a node was paused)::

    CACHES = {
        "default": {
            "BACKEND": "perscom_oauth.cache.cluster.RedisClusterCache",
            "LOCATION": ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"],
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }

Reads go to the primaries only: a replica may not have the newest nonce or generation yet
(check ``perscom_oauth.E041``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from django.core.cache.backends import redis as django_redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry

from .backend import COUNT_SCRIPT, RedisCache

#: One client per process and configuration, shared by the threads' cache objects (Django
#: builds one cache object per thread).
_clients: dict[tuple[tuple[str, ...], str], RedisCluster] = {}
_connecting = threading.Lock()


def _node(url: str) -> ClusterNode:
    parts = urlsplit(url)
    return ClusterNode(parts.hostname or "localhost", parts.port or 6379)


class RedisClusterCacheClient(django_redis.RedisCacheClient):
    # Set by Django's __init__ (not in its stubs).
    _servers: list[str]
    _serializer: django_redis.RedisSerializer

    # Any: the OPTIONS of a setting, passed on unchanged to RedisCluster.
    def __init__(self, servers: list[str], serializer: Any = None, **options: Any) -> None:
        super().__init__(servers, serializer)
        self._options = options
        self._name = (tuple(servers), repr(sorted(options.items())))

    def get_client(  # type: ignore[override]  # a RedisCluster, not a Redis: same commands here
        self, key: str | bytes | memoryview | None = None, *, write: bool = False
    ) -> RedisCluster:
        client = _clients.get(self._name)
        if client is None:
            with _connecting:
                client = _clients.get(self._name)
                if client is None:
                    # The first URL's credentials and TLS apply to every node.
                    first, *others = self._servers
                    options = dict(self._options)
                    if "retry" not in options and "cluster_error_retry_attempts" not in options:
                        options["retry"] = Retry(NoBackoff(), 0)
                    client = RedisCluster(url=first, startup_nodes=[_node(url) for url in others], **options)
                    _clients[self._name] = client
        return client

    def get_many(self, keys: Iterable[str | bytes | memoryview]) -> dict[str | bytes | memoryview, Any]:
        keys = list(keys)
        if not keys:
            return {}
        client = self.get_client()
        values: list[Any]  # bytes, or None for a miss (str only with decode_responses, unsupported)
        if len({client.keyslot(key) for key in keys}) == 1:
            values = client.mget(keys)
        else:  # one MGET per slot, in one pipeline
            values = client.mget_nonatomic(keys)
        return {
            key: self._serializer.loads(value)
            for key, value in zip(keys, values, strict=True)
            if value is not None
        }

    def set_many(self, data: Mapping[str | bytes | memoryview, Any], timeout: int | timedelta | None) -> None:
        # One SET per key (MSET cannot span slots), in a pipeline: one round trip per node.
        pipeline = self.get_client(write=True).pipeline()
        for key, value in data.items():
            if timeout == 0:
                pipeline.delete(key)
            else:
                pipeline.set(key, self._serializer.dumps(value), ex=timeout)
        pipeline.execute()


class RedisClusterCache(RedisCache):
    """Django's Redis cache on Redis Cluster (module docstring), with ``count``."""

    # Any: Django's cache backend API (RedisCache's stub), a setting's OPTIONS and the like.
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisClusterCacheClient

    def count(self, deltas: dict[str, int], timeout: int) -> list[int | None]:
        """``RedisCache.count``, with the script run once per slot (a script may only touch keys
        of one), pipelined: one round trip per node, and one in all when the keys share a slot
        (the client throttle's do)."""
        keys = [self.make_and_validate_key(key) for key in deltas]
        values = list(deltas.values())
        client = cast("RedisClusterCacheClient", self._cache).get_client(write=True)
        slots: dict[int, list[int]] = {}
        for index, key in enumerate(keys):
            slots.setdefault(client.keyslot(key), []).append(index)
        pipeline = client.pipeline()
        for slot, group in slots.items():
            pipeline.execute_command(
                "EVAL",
                COUNT_SCRIPT,
                len(group),
                *(keys[i] for i in group),
                timeout,
                *(values[i] for i in group),
                # Named, the node is not asked which keys the script has (COMMAND GETKEYS).
                target_nodes=client.nodes_manager.get_node_from_slot(slot),
            )
        totals: list[int | None] = [None] * len(keys)
        for group, found in zip(slots.values(), pipeline.execute(), strict=True):
            for index, total in zip(group, found, strict=True):
                totals[index] = None if total is None else int(total)
        return totals
