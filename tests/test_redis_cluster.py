"""The token cache on Redis Cluster (issue 25, item 2): a hot API request is one round trip to
one node and no SQL; a revocation is seen at once at every host name of the organization; the
throttle counts per slot; every key the hot path reads is where ``cache.shards`` puts it.

A three-master cluster of the session's own (tests/redis_cluster_support.py), reached through
``perscom_oauth.cache.cluster.RedisClusterCache``. Round trips are counted where they happen:
each write of commands to a node's socket (``send_packed_command``) is one, followed by reading
its answers; a pipeline writes once per node."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from redis.connection import AbstractConnection
from redis.crc import key_slot

from perscom_oauth.cache import entries, generations
from perscom_oauth.cache.health import CacheHealth, epoch_key
from perscom_oauth.cache.shards import SHARDS, shard_of
from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application, Domain, Organization
from tests.factories import SECRET
from tests.oauth import OAuthClient, basic_auth
from tests.redis_cluster_support import RedisClusterServers, redis_cluster

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

PREFIX = "perscom-test-cluster"


@pytest.fixture(scope="session")
def cluster_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    with redis_cluster(Path(tmp_path_factory.mktemp("redis-cluster"))) as servers:
        yield servers


@pytest.fixture
def on_cluster(cluster_servers: RedisClusterServers) -> Iterator[RedisClusterServers]:
    """The default cache is the cluster (Django's setting_changed receiver rebuilds the cache
    handler, so ``django.core.cache.cache`` is the cluster backend until the test ends)."""
    caches = cluster_servers.caches()
    caches["default"]["KEY_PREFIX"] = PREFIX
    with override_settings(CACHES=caches):
        cache.clear()  # FLUSHDB on every master: this test's keys only
        yield cluster_servers


class Writes:
    """Each write of commands to a node of the cluster: (port, [command, ...]), in order."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = set(ports)
        self.log: list[tuple[int, list[list[bytes]]]] = []

    def record(self, port: int, packed: bytes | list[bytes | memoryview]) -> None:
        if port in self.ports:
            data = packed if isinstance(packed, bytes) else b"".join(bytes(part) for part in packed)
            self.log.append((port, commands_in(data)))

    def names(self) -> list[list[str]]:
        return [[command[0].decode().upper() for command in commands] for _port, commands in self.log]


def commands_in(data: bytes) -> list[list[bytes]]:
    """The commands of one RESP write (arrays of bulk strings)."""
    commands, at = [], 0
    while at < len(data):
        end = data.index(b"\r\n", at)
        count, at = int(data[at + 1 : end]), end + 2
        arguments = []
        for _ in range(count):
            end = data.index(b"\r\n", at)
            length, at = int(data[at + 1 : end]), end + 2
            arguments.append(data[at : at + length])
            at += length + 2
        commands.append(arguments)
    return commands


@pytest.fixture
def writes(on_cluster: RedisClusterServers, monkeypatch: pytest.MonkeyPatch) -> Writes:
    found = Writes(on_cluster.ports)
    real = AbstractConnection.send_packed_command

    def counted(connection: Any, command: Any, check_health: bool = True) -> None:
        found.record(connection.port, command)
        real(connection, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return found


def node_of(servers: RedisClusterServers, key: str) -> int:
    """The port of the master holding ``key``'s slot, as the cluster itself says."""
    probe = redis.Redis(port=servers.ports[0])
    try:
        slot = int(probe.execute_command("CLUSTER", "KEYSLOT", key))
        for start, end, primary, *_replicas in probe.execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return int(primary[1])
    finally:
        probe.close()
    raise AssertionError(f"no node serves slot {slot}")


def hostnames_on_every_node(org: Organization, servers: RedisClusterServers) -> list[str]:
    """The organization's primary host name and more of its own, one per master at least."""
    primary = org.domains.get(is_primary=True).hostname
    names, nodes = [primary], {node_of(servers, f"{{po:{shard_of(primary)}}}")}
    for n in range(1, 200):
        name = f"{org.slug}-{n}.example.test"
        node = node_of(servers, f"{{po:{shard_of(name)}}}")
        if node not in nodes:
            Domain.objects.create(organization=org, hostname=name)
            names.append(name)
            nodes.add(node)
        if len(nodes) == len(servers.ports):
            return names
    raise AssertionError("no host names found for every node")


def test_a_hot_api_request_is_one_round_trip_to_one_node_and_no_sql(
    writes: Writes,
    on_cluster: RedisClusterServers,
    oauth: OAuthClient,
    viewer: Any,
    app: Application,
    django_assert_num_queries: Any,
) -> None:
    token = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    for _ in range(2):  # cold, then the host's entry read after its generation: hot now
        assert oauth.api(token, "/api/users/").status_code == 200
    writes.log.clear()
    with django_assert_num_queries(0):
        assert oauth.api(token, "/api/me").status_code == 200
    assert writes.names() == [["MGET"]]  # one write to one node: one round trip
    port, [mget] = writes.log[0]
    keys = [key.decode() for key in mget[1:]]
    shard = shard_of(oauth.host)
    expected = [
        entries.host_key(oauth.host),
        generations.generation_key(oauth.host),
        epoch_key(shard),
        entries.token_key(shard, checksum(token)),
        generations.nonce_key(shard, checksum(token)),
    ]
    assert keys == [cache.make_key(key) for key in expected]
    assert port == node_of(on_cluster, keys[0])


def test_a_revocation_is_refused_at_once_at_every_host_of_the_organization(
    writes: Writes,
    on_cluster: RedisClusterServers,
    oauth: OAuthClient,
    org: Organization,
    viewer: Any,
    app: Application,
    django_assert_num_queries: Any,
) -> None:
    hosts = hostnames_on_every_node(org, on_cluster)
    assert len({shard_of(host) for host in hosts}) == len(hosts) == 3
    token = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    at = {host: OAuthClient(host) for host in hosts}
    for host in hosts:
        for _ in range(2):
            assert at[host].api(token, "/api/users/").status_code == 200
    for host in hosts:  # hot at each, in its own shard on its own node
        writes.log.clear()
        with django_assert_num_queries(0):
            assert at[host].api(token).status_code == 200
        assert writes.names() == [["MGET"]]
    assert {port for port, _ in writes.log} <= set(on_cluster.ports)

    writes.log.clear()
    assert oauth.revoke(app, token).status_code == 200  # RFC 7009, at the primary host
    # Its nonce replaced in every shard (a token may be presented at any host of its
    # organization), in one call: one pipelined write to each node.
    nonces = [cache.make_key(generations.nonce_key(shard, checksum(token))) for shard in range(SHARDS)]
    setting = [(port, commands) for port, commands in writes.log if commands[0][0].upper() == b"SET"]
    assert sorted(key.decode() for _port, commands in setting for _set, key, *_ in commands) == sorted(nonces)
    assert sorted(port for port, _commands in setting) == sorted(on_cluster.ports)
    for host in hosts:
        response = at[host].api(token)
        assert response.status_code == 401, host
        assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_the_throttle_counts_and_limits_on_the_cluster(
    writes: Writes, on_cluster: RedisClusterServers, oauth: OAuthClient, machine: Application, settings: Any
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "THROTTLE_FAILURES": 3}
    wrong = basic_auth(machine.client_id, "wrong")

    def client_credentials(header: str, source: str) -> int:
        response = oauth.client().post(
            "/oauth/token",
            {"grant_type": "client_credentials", "scope": "view:user"},
            HTTP_AUTHORIZATION=header,
            REMOTE_ADDR=source,
        )
        return int(response.status_code)

    assert [client_credentials(wrong, "10.0.0.7") for _ in range(4)] == [401, 401, 401, 429]
    # Each attempt's counters (the source's, the client's at that source) in one script, in
    # one slot, in one round trip: never CROSSSLOT.
    scripts = [commands for _port, commands in writes.log if commands[0][0].upper() == b"EVAL"]
    assert len(scripts) == 4 + 1  # the 429 gives its place back
    for commands in scripts:
        assert len(commands) == 1
        count = int(commands[0][2])
        keys = [key.decode() for key in commands[0][3 : 3 + count]]
        assert count == 2 and len({key_slot(key.encode()) for key in keys}) == 1
        assert all("{src:10.0.0.7}" in key for key in keys)
    # The client, from elsewhere, is not locked out; its secret still works there.
    assert client_credentials(basic_auth(machine.client_id, SECRET), "10.0.0.8") == 200
    assert client_credentials(wrong, "10.0.0.7") == 429


def test_every_key_of_the_hot_path_is_in_its_hosts_shard_on_that_shards_node(
    on_cluster: RedisClusterServers, oauth: OAuthClient, org: Organization, viewer: Any, app: Application
) -> None:
    hosts = hostnames_on_every_node(org, on_cluster)
    token = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    for host in hosts:
        for _ in range(2):
            assert OAuthClient(host).api(token, "/api/users/").status_code == 200
    for host in hosts:
        shard = shard_of(host)
        keys = [
            entries.host_key(host),
            generations.generation_key(host),
            epoch_key(shard),
            entries.token_key(shard, checksum(token)),
            generations.nonce_key(shard, checksum(token)),
        ]
        stored = [cache.make_key(key) for key in keys]
        node = node_of(on_cluster, f"{{po:{shard}}}")
        direct = redis.Redis(port=node)  # not a cluster client: it answers for its own slots only
        try:
            slots = {int(direct.execute_command("CLUSTER", "KEYSLOT", key)) for key in stored}
            assert slots == {key_slot(f"po:{shard}".encode())}
            assert f"{{po:{shard}}}" in stored[0] and stored[0].startswith(f"{PREFIX}:")
            # The epoch exists once one was started; the rest is what this host's requests stored.
            assert direct.exists(*stored[:2], *stored[3:]) == 4, host
        finally:
            direct.close()


def test_a_new_epoch_is_written_to_every_shard_in_one_call(
    writes: Writes, on_cluster: RedisClusterServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CacheHealth, "down", True)  # this process saw an outage
    epoch = CacheHealth.worked()
    assert epoch is not None
    assert cache.get_many([epoch_key(shard) for shard in range(SHARDS)]) == {
        epoch_key(shard): epoch for shard in range(SHARDS)
    }
    # One pipelined write to each master holding some of the 16 shards.
    setting = [port for port, commands in writes.log if commands[0][0].upper() == b"SET"]
    assert sorted(setting) == sorted({node_of(on_cluster, f"{{po:{shard}}}") for shard in range(SHARDS)})


def test_the_generic_cache_api_works_across_slots(on_cluster: RedisClusterServers) -> None:
    """What the hot path does not need still works (the login lockout's get_many, Django's
    own callers): several slots, several nodes."""
    data = {f"key-{n}": n for n in range(20)}
    cache.set_many(data, timeout=60)
    assert cache.get_many([*data, "missing"]) == data
    cache.delete_many(list(data)[:10])
    assert cache.get_many(list(data)) == dict(list(data.items())[10:])
    assert cache.add("key-19", 0) is False and cache.incr("key-19", 2) == 21
    totals = cache.count({"a": 1, "b": 1, "a{x}": 1, "b{x}": 2}, timeout=60)
    assert totals == [1, 1, 1, 2]
    assert cache.count({"a": -1, "never": -1}, timeout=60) == [0, None]


def test_a_paused_node_costs_one_socket_timeout_and_a_revocation_made_meanwhile_holds(
    on_cluster: RedisClusterServers, oauth: OAuthClient, viewer: Any, app: Application, caplog: Any
) -> None:
    """A node that stops answering (a partition, a paused host) holding the host's shard: the
    request falls back to the database after one socket timeout (the backend does not retry:
    redis-py's default retries cost 5 to 7 s here), a token revoked meanwhile is refused, and once
    the node answers again a new epoch in every shard drops what it still holds."""
    doomed = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    kept = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    for token in (doomed, kept):
        for _ in range(2):
            assert oauth.api(token, "/api/users/").status_code == 200
    shard = shard_of(oauth.host)
    node = on_cluster.processes[on_cluster.ports.index(node_of(on_cluster, f"{{po:{shard}}}"))]
    epoch = cache.get(epoch_key(shard))
    node.send_signal(signal.SIGSTOP)
    try:
        assert oauth.revoke(app, doomed).status_code == 200
        started = time.monotonic()
        assert oauth.api(doomed).status_code == 401
        assert time.monotonic() - started < 1.5  # socket_timeout 0.5 s, then the database
    finally:
        node.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 10
    while cache.get(epoch_key(shard)) == epoch and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get(epoch_key(shard)) != epoch
    assert oauth.api(doomed).status_code == 401
    assert oauth.api(kept, "/api/users/").status_code == 200
    assert "cache reachable again; entries cached before the outage are dropped" in caplog.text
