"""Redis behind Sentinel: the cache follows Sentinel's promotions, and no entry read from one
primary is ever used once another has taken over.

Redis replicates asynchronously, so a write the old primary acknowledged (a revoked token's new
nonce, an organization's new generation) may never reach the replica Sentinel promotes, and
that replica still holds the entries the write made stale. Waiting for the replica (``WAIT``)
narrows that window without closing it (a lagging replica times the wait out), and an epoch
started by whoever sees the failover misses the processes that see none: redis-py reconnects
an idle connection to the new primary without an error. So the failover is part of every
entry's tags instead: the hot path's one read asks, in the same round trip, for the server's
*replication ID* (``INFO replication``'s ``master_replid``, which a promoted replica replaces
with a new one), and ``cache.entries`` tags what it stores with the ID its tags were read
under. After a promotion every older entry reads as a miss and the database decides, once per
token and host; nothing written before it, lost or not, is used after it.

Reads and writes go to the primary only: a replica may lag behind a revocation. A primary that
Sentinel demoted while a connection to it stayed open (a partition: it was thought down, and
another was promoted) still answers reads; the same answer says it is no primary any more, and
the read counts as a cache failure (the database decides; the connection is dropped and the
next one goes to the primary Sentinel names).

    CACHES = {"default": {
        "BACKEND": "perscom_oauth.cache.sentinel.RedisSentinelCache",
        "LOCATION": ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379", "redis://10.0.0.3:26379"],
        "OPTIONS": {"service_name": "perscom", "socket_timeout": 0.5, "socket_connect_timeout": 0.5},
    }}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from redis.exceptions import ConnectionError
from redis.sentinel import Sentinel, SentinelConnectionPool

from .backend import RedisCache, ReusingRedisCacheClient

if TYPE_CHECKING:
    from collections.abc import Iterable


class NotThePrimary(ConnectionError):
    """The server read is no primary (any more): what it holds may be behind."""


def primary_id(info: bytes | str) -> str:
    """The replication ID in ``INFO replication``'s answer, if the server is a primary."""
    text = info.decode() if isinstance(info, bytes) else info
    fields = dict(line.partition(":")[::2] for line in text.splitlines())
    if fields.get("role", "").strip() != "master":
        # A primary demoted while this connection stayed open (Sentinel promoted another after
        # a partition): it still answers reads, from before the promotion.
        raise NotThePrimary(f"the server is a {fields.get('role', '?').strip()}, not the primary")
    return fields.get("master_replid", "").strip()


class SentinelCacheClient(ReusingRedisCacheClient):
    # Any: Django's RedisCacheClient options, passed on to redis-py's connections.
    def __init__(
        self,
        servers: list[str],
        service_name: str = "",
        sentinel_kwargs: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(servers, **options)
        self._service_name = service_name
        self._sentinel_kwargs = sentinel_kwargs
        self._pool: SentinelConnectionPool | None = None

    def _get_connection_pool(self, write: bool) -> SentinelConnectionPool:
        # One pool, to the primary, for reads and writes alike.
        if self._pool is None:
            sentinels = [_address(server) for server in self._servers]  # type: ignore[attr-defined]
            manager = Sentinel(  # type: ignore[no-untyped-call]
                sentinels, sentinel_kwargs=self._sentinel_kwargs, **self._connection_options()
            )
            self._pool = SentinelConnectionPool(  # type: ignore[no-untyped-call]
                self._service_name,
                manager,
                **self._pool_options,  # type: ignore[attr-defined]  # not in the stubs
            )
        return self._pool

    def _connection_options(self) -> dict[str, Any]:
        options = self._pool_options  # type: ignore[attr-defined]  # not in the stubs
        return {k: v for k, v in options.items() if k.startswith("socket_")}

    def get_many_from_primary(self, keys: Iterable[str]) -> tuple[dict[str, Any], str]:
        """``get_many``, and the replication ID of the server it read, in one round trip: the
        values first, then the ID (a promotion in between changes the ID, so the values read
        before it are not used). A server that is no primary raises ``NotThePrimary``."""
        keys = list(keys)
        pool = self._get_connection_pool(write=False)
        connection = pool.get_connection()
        try:
            commands = [("MGET", *keys), ("INFO", "replication")]
            connection.send_packed_command(connection.pack_commands(commands))  # type: ignore[no-untyped-call]
            values = connection.read_response()
            identity = primary_id(connection.read_response())
        except BaseException:
            connection.disconnect()  # type: ignore[no-untyped-call]
            raise
        finally:
            pool.release(connection)
        loads = self._serializer.loads  # type: ignore[attr-defined]  # not in the stubs
        return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}, identity


class RedisSentinelCache(RedisCache):
    """Our Redis cache (``cache.backend``) at the primary Sentinel names for ``service_name``.
    LOCATION lists the Sentinels (``redis://host:port``); OPTIONS takes ``service_name``,
    ``sentinel_kwargs`` (for the connections to the Sentinels) and redis-py's connection
    options, as for ``RedisCache``."""

    # Any: Django's cache backend API.
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SentinelCacheClient

    def get_many_from_primary(self, keys: Iterable[str]) -> tuple[dict[str, Any], str]:
        """Like ``get_many``, with the replication ID of the primary the values were read on:
        what ``cache.entries`` tags its entries with."""
        key_map = {self.make_and_validate_key(key): key for key in keys}
        found, identity = self._cache.get_many_from_primary(key_map)  # type: ignore[attr-defined]
        return {key_map[k]: v for k, v in found.items()}, identity


def _address(server: str) -> tuple[str, int]:
    parts = urlsplit(server if "//" in server else f"redis://{server}")
    return parts.hostname or "localhost", parts.port or 26379
