"""The token cache behind Redis Sentinel (perscom_oauth/cache/sentinel.py): a crash of the
primary loses writes it acknowledged, and still no token the database refuses is honoured once
the replica is promoted; requests during the failover are answered from the database."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from bench.topology import SentinelTopology
from perscom_oauth.cache.entries import token_key
from perscom_oauth.cache.shards import shard_of
from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application
from tests.conftest import free_port
from tests.oauth import OAuthClient, basic_auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


@pytest.fixture
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelTopology]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    # 1 s before a silent primary is failed over: a busy CI machine must not fail over a primary
    # that was only slow, between two steps of a test.
    ports = [free_port() for _ in range(6)]
    topology = SentinelTopology(tmp_path_factory.mktemp("sentinel"), ports, down_after_ms=1000)
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()


@pytest.fixture
def sentinel(topology: SentinelTopology) -> Iterator[SentinelTopology]:
    topology.await_replica()  # a primary the Sentinels agree on, with a replica to fail over to
    with override_settings(CACHES=topology.caches()):
        for attempt in range(3):
            try:  # a connection to the primary of a failover ago is dropped by its first write
                cache.clear()
                break
            except redis.ConnectionError:
                if attempt == 2:
                    raise
        yield topology


def hot_token(oauth: OAuthClient, user: Any, app: Application) -> str:
    token = oauth.code_flow(user, app, scope="view:user").json()["access_token"]
    assert oauth.api(token, "/api/me").status_code == 200  # now cached
    return token


def expire_untold(token: str) -> None:
    """Expire the token in the database without a word to the cache (a queryset update sends no
    signal): the worst case of invalidations a crashed primary lost."""
    get_access_token_model().objects.filter(token_checksum=checksum(token)).update(
        expires=timezone.now() - timedelta(1)
    )


def test_the_cache_follows_the_primary_and_a_hot_token_costs_no_sql(
    sentinel: SentinelTopology,
    oauth: OAuthClient,
    viewer: Any,
    app: Application,
    django_assert_num_queries: Any,
) -> None:
    token = hot_token(oauth, viewer, app)
    with django_assert_num_queries(0):
        assert oauth.api(token, "/api/me").status_code == 200
    primary = sentinel.client(sentinel.primary_port())
    assert primary.exists(cache.make_key(token_key(shard_of(oauth.host), checksum(token))))


def test_an_entry_the_cache_was_never_told_about_is_not_used_after_a_failover(
    sentinel: SentinelTopology, oauth: OAuthClient, viewer: Any, app: Application
) -> None:
    token = hot_token(oauth, viewer, app)
    expire_untold(token)
    assert oauth.api(token, "/api/me").status_code == 200  # the entry still answers for it
    new = sentinel.kill_primary()
    # The promoted replica holds the entry, replicated before the crash ...
    assert sentinel.client(new).exists(cache.make_key(token_key(shard_of(oauth.host), checksum(token))))
    # ... read from another primary, so unusable: the database refuses the token.
    assert oauth.api(token, "/api/me").status_code == 401


def test_a_revocation_holds_when_the_primary_crashes_right_after_it(
    sentinel: SentinelTopology, oauth: OAuthClient, viewer: Any, app: Application
) -> None:
    # One failover per topology: each test starts from Sentinels that have seen every replica
    # (make reliability-distributed runs 20 in a row, each a few seconds after the last).
    revoked, bystander = hot_token(oauth, viewer, app), hot_token(oauth, viewer, app)
    primary = sentinel.await_replica()
    response = oauth.client().post(
        "/oauth/revoke", {"token": revoked}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert response.status_code == 200  # RFC 7009 §2.2
    # At once: the deterministic case of a write the primary never passed on is the test
    # above; make reliability-distributed measures the delay (under 50 ms).
    old = sentinel.crash_primary(primary)
    # While the Sentinels promote the replica the database answers: no 5xx, nothing
    # revoked honoured.
    during = []
    deadline = time.monotonic() + 30
    while not sentinel.promoted(old):
        assert time.monotonic() < deadline, "no promotion within 30 s"
        during.append(oauth.api(bystander, "/api/me").status_code)
        during.append(oauth.api(revoked, "/api/me").status_code)
    assert set(during[0::2]) == {200} and set(during[1::2]) == {401}
    sentinel.restart(old)
    assert oauth.api(revoked, "/api/me").status_code == 401
    assert oauth.api(bystander, "/api/me").status_code == 200


def test_a_primary_demoted_while_connected_is_no_longer_read(
    sentinel: SentinelTopology, oauth: OAuthClient, viewer: Any, app: Application
) -> None:
    token = hot_token(oauth, viewer, app)
    expire_untold(token)
    assert oauth.api(token, "/api/me").status_code == 200  # the entry, on the primary
    # Demoted behind the Sentinels' back (a partition's other side promoted a replica): the
    # server keeps this process's connection and still answers reads, with its old data.
    sentinel.client(sentinel.primary_port()).replicaof("127.0.0.1", free_port())
    assert oauth.api(token, "/api/me").status_code == 401  # the database decides
