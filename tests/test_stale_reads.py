"""A cached answer never outlives the state it was read from (issue 19: H1, M2, L7, point 3).

Each way state can change, the next request is refused: ORM saves (tests/test_token_cache.py),
queryset updates and bulk updates, raw SQL and a host's own models through the documented call
(``perscom_oauth.invalidate``), deletion cascades; a revocation that lands between a request's
database read and its cache write; a cache restored from a snapshot; a revocation the cache was
never told of. Runs on the in-process cache and, in CI's second pass, on PostgreSQL + Redis
(the snapshot and partition cases use a Redis of their own)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

import perscom_oauth
from perscom_oauth.adapter import OrganizationAdapter
from perscom_oauth.cache.entries import token_key
from perscom_oauth.cache.health import CacheHealth
from perscom_oauth.cache.shards import shard_of
from perscom_oauth.models import Application, Domain, Membership, Organization
from tests.conftest import free_port
from tests.factories import OrganizationFactory
from tests.oauth import OAuthClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

LATER = datetime(2999, 1, 1, tzinfo=UTC)
#: GENERATION_SECONDS, set by the tests that measure it: how long a change the cache was not
#: told of may still be honoured.
BOUND = 2


def refused(oauth: OAuthClient, token: str) -> bool:
    response = oauth.api(token, "/api/users/")
    return response.status_code in (401, 403)


# --- every way state changes --------------------------------------------------------------------


def raw_sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def host_member_flag(user: Any, organization: Organization) -> None:
    """A host's own data (here the user's last name, through a queryset update that sends no
    signal) decides membership; the host calls the documented function."""
    get_user_model()._default_manager.filter(pk=user.pk).update(last_name="left")
    perscom_oauth.invalidate(user=user)


class LastNameMembershipAdapter(OrganizationAdapter):
    """Membership kept in the host's own data: a user whose last name is "left" has left."""

    def is_member(self, user: Any, organization: Any) -> bool:
        return bool(user.is_active and user.last_name != "left")

    def get_permissions(self, user: Any, organization: Any) -> set[str]:
        return {"auth.view_user"}


CHANGES: dict[str, Callable[[Organization, Application, Any], None]] = {
    "queryset update: plan": lambda org, app, user: Organization.objects.filter(pk=org.pk).update(
        plan="basic"
    ),
    "queryset update: application suspended": lambda org, app, user: Application.objects.filter(
        pk=app.pk
    ).update(enabled=False),
    "queryset update: membership moved": lambda org, app, user: Membership.objects.filter(user=user).update(
        organization=OrganizationFactory(slug="elsewhere")
    ),
    "queryset update: domain moved": lambda org, app, user: Domain.objects.filter(organization=org).update(
        organization=OrganizationFactory(slug="taker")
    ),
    "bulk update: application suspended": lambda org, app, user: Application.objects.bulk_update(
        [Application(pk=app.pk, enabled=False)], ["enabled"]
    ),
    "raw SQL + invalidate(organization)": lambda org, app, user: (
        (
            raw_sql(f"UPDATE {Organization._meta.db_table} SET plan = %s WHERE id = %s", "basic", org.pk),
            perscom_oauth.invalidate(organization=org),
        )
        and None
    ),
    "raw SQL + invalidate(application)": lambda org, app, user: (
        (
            raw_sql(f"UPDATE {Application._meta.db_table} SET enabled = %s WHERE id = %s", False, app.pk),
            perscom_oauth.invalidate(application=app),
        )
        and None
    ),
    "raw SQL + invalidate(user)": lambda org, app, user: (
        (
            raw_sql(
                f"UPDATE {get_user_model()._meta.db_table} SET is_active = %s WHERE id = %s", False, user.pk
            ),
            perscom_oauth.invalidate(user=user.pk),
        )
        and None
    ),
    "cascade: organization deleted": lambda org, app, user: org.delete() and None,
    "cascade: domain deleted": lambda org, app, user: (
        Domain.objects.filter(organization=org).delete() and None
    ),
    "cascade: role group deleted": lambda org, app, user: (
        user.perscom_memberships.get().roles.get().delete() and None
    ),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_way_state_changes_refuses_the_next_request(
    oauth: OAuthClient,
    org: Organization,
    app: Application,
    viewer: Any,
    hot: str,
    change: Callable[..., None],
) -> None:
    change(org, app, viewer)
    assert refused(oauth, hot)


def test_a_hosts_own_membership_data_through_the_documented_call(
    oauth: OAuthClient, org: Organization, app: Application, viewer: Any
) -> None:
    adapter = f"{__name__}.LastNameMembershipAdapter"
    with override_settings(PERSCOM_OAUTH={**settings.PERSCOM_OAUTH, "ADAPTER": adapter}):
        token = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
        for _ in range(2):
            assert oauth.api(token, "/api/users/").status_code == 200
        host_member_flag(viewer, org)
        assert oauth.api(token, "/api/users/").status_code == 401


def test_invalidation_costs_the_same_whatever_the_number_of_live_tokens(
    org: Organization, app: Application, viewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point 3: a change is one generation moved: the same SQL and the same cache writes with
    1 or 300 live tokens (before: one cache write per live token)."""
    from django.test.utils import CaptureQueriesContext
    from oauth2_provider.models import get_access_token_model

    written: list[str] = []
    real_set_many = cache.set_many

    def counting_set_many(mapping: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        written.extend(mapping)
        return real_set_many(mapping, *args, **kwargs)

    monkeypatch.setattr(cache, "set_many", counting_set_many)
    token_model = get_access_token_model()

    def cost_of_a_save() -> tuple[int, int]:
        written.clear()
        with CaptureQueriesContext(connection) as queries:
            org.plan = "enterprise"
            org.save()
        return len(queries), len(written)

    def live_tokens(count: int) -> None:
        token_model.objects.bulk_create(
            token_model(user=viewer, application=app, token=f"t{n}", expires=LATER, scope="view:user")
            for n in range(token_model.objects.count(), count)
        )

    live_tokens(1)
    few = cost_of_a_save()
    live_tokens(300)
    assert cost_of_a_save() == few
    assert few[1] <= 2  # the host's generation, provisional then committed


# --- H1: a revocation between a request's database read and its cache write ------------------


def test_a_revocation_between_a_read_and_its_cache_write_is_not_undone(
    oauth: OAuthClient, app: Application, viewer: Any, hot: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request found its entry outdated (the user was saved), read the token from the
    database, and the revocation committed just before the request wrote its answer back: the
    write must not make the revoked token valid again. Before tags (a stale mark compared,
    then overwritten: two operations), the revocation's mark was overwritten and the token
    answered 200 on every worker until the entry expired."""
    viewer.first_name = "changed"
    viewer.save()  # the hot entry is outdated: the next request reads the database
    key = token_key(shard_of(oauth.host), _checksum(hot))
    real_set = cache.set
    raced = []

    def set_racing_a_revocation(name: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if name == key and not raced:
            raced.append(name)
            assert oauth.revoke(app, hot).status_code == 200  # commits between the read and the write
        return real_set(name, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", set_racing_a_revocation)
    assert oauth.api(hot, "/api/users/").status_code == 200  # read before the revocation
    assert raced
    assert oauth.api(hot, "/api/users/").status_code == 401


def _checksum(value: str) -> str:
    from perscom_oauth.hashing import checksum

    return checksum(value)


# --- M2 and L7: what the cache was never told ---------------------------------------------------


class SnapshotRedis:
    """A Redis of the test's own that saves snapshots to its own folder and restarts from them."""

    def __init__(self, folder: Any) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)

    def save(self) -> None:
        import redis

        redis.Redis(port=self.port).save()

    def restart_from_snapshot(self) -> None:
        assert self.process is not None
        self.process.kill()  # no save on the way down: the last SAVE is what comes back
        self.process.wait()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    @property
    def caches(self) -> dict[str, Any]:
        return {
            "default": {
                "BACKEND": "perscom_oauth.cache.backend.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{self.port}/0",
                "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
            }
        }


@pytest.fixture
def snapshot_redis(tmp_path: Any) -> Iterator[SnapshotRedis]:
    server = SnapshotRedis(tmp_path)
    bounded = {**settings.PERSCOM_OAUTH, "GENERATION_SECONDS": BOUND}
    try:
        with override_settings(CACHES=server.caches, PERSCOM_OAUTH=bounded):
            yield server
    finally:
        server.stop()


def seconds_until_refused(oauth: OAuthClient, token: str, limit: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if refused(oauth, token):
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def test_a_cache_restored_from_a_snapshot_does_not_bring_a_revoked_token_back(
    oauth: OAuthClient, app: Application, viewer: Any, snapshot_redis: SnapshotRedis
) -> None:
    """M2: SAVE, a revocation, a restart from the snapshot: the restored entry and its
    restored tags say "valid"; the database's generation moved with the revocation, and the
    cache's copy of it expires within GENERATION_SECONDS. Before: 200 for TOKEN_CACHE_SECONDS."""
    token = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    for _ in range(2):
        assert oauth.api(token, "/api/users/").status_code == 200
    snapshot_redis.save()
    assert oauth.revoke(app, token).status_code == 200
    assert refused(oauth, token)
    snapshot_redis.restart_from_snapshot()
    waited = seconds_until_refused(oauth, token, limit=BOUND + 3)
    assert waited is not None, "the restored cache kept honouring the revoked token"
    assert waited <= BOUND + 1
    for _ in range(5):
        assert refused(oauth, token)  # and it stays refused


def test_a_revocation_the_cache_was_never_told_of_is_seen_within_the_bound(
    oauth: OAuthClient,
    app: Application,
    viewer: Any,
    snapshot_redis: SnapshotRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """L7: the revoking process could not reach the cache and exited before telling it (its
    retry thread never ran); the workers never saw an outage. The database's generation moved
    with the revocation: every worker refuses the token once the cache's copy expires.
    Before: honoured until the entry expired (TOKEN_CACHE_SECONDS)."""
    token = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    for _ in range(2):
        assert oauth.api(token, "/api/users/").status_code == 200
    assert snapshot_redis.process is not None
    monkeypatch.setattr(CacheHealth, "lost_invalidation", classmethod(lambda cls, give_up_after: None))
    snapshot_redis.process.send_signal(signal.SIGSTOP)
    try:
        assert oauth.revoke(app, token).status_code == 200  # nothing reaches the cache
    finally:
        snapshot_redis.process.send_signal(signal.SIGCONT)
    monkeypatch.setattr(CacheHealth, "down", False)  # the serving worker never saw the outage
    waited = seconds_until_refused(oauth, token, limit=BOUND + 3)
    assert waited is not None, "the workers kept honouring a revocation the cache was not told of"
    assert waited <= BOUND + 1


# --- the hot path with an adapter that resolves hosts itself ------------------------------------


class SlugHostAdapter(OrganizationAdapter):
    """Resolves ``<slug>.slugs.test`` itself (no Domain table), and says where each answers."""

    def organization_for_host(self, hostname: str) -> Any:
        if not hostname.endswith(".slugs.test"):
            return None
        return Organization.objects.filter(slug=hostname.removesuffix(".slugs.test")).first()

    def hostnames_of(self, organization_ids: Any) -> dict[int, list[str]]:
        rows = Organization.objects.filter(pk__in=organization_ids).values_list("pk", "slug")
        return {pk: [f"{slug}.slugs.test"] for pk, slug in rows}


CACHE_OPERATIONS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "incr", "count")


def cache_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The cache operations made from now on, by name: each is one round trip to Redis (an
    operation the backend makes of others, as ``LocMemCache.get_many`` of ``get``, counts once)."""
    calls: list[str] = []
    inside: list[str] = []
    for name in CACHE_OPERATIONS:
        real = getattr(cache, name, None)
        if real is None:
            continue

        def counted(*args: Any, _name: str = name, _real: Any = real, **kwargs: Any) -> Any:
            if not inside:
                calls.append(_name)
            inside.append(_name)
            try:
                return _real(*args, **kwargs)
            finally:
                inside.pop()

        monkeypatch.setattr(cache, name, counted)
    return calls


def test_an_adapter_that_resolves_hosts_keeps_the_hot_path_free_of_sql(
    org: Organization,
    app: Application,
    viewer: Any,
    django_assert_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Point 4: overriding ``organization_for_host`` no longer switches the token cache off;
    what it costs and when it is invalidated is said by ``hostnames_of``. One cache round
    trip, no SQL."""
    oauth = OAuthClient("alpha.slugs.test")
    adapter = f"{__name__}.SlugHostAdapter"
    with override_settings(PERSCOM_OAUTH={**settings.PERSCOM_OAUTH, "ADAPTER": adapter}):
        token = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
        for _ in range(2):
            assert oauth.api(token, "/api/users/").status_code == 200
        calls = cache_round_trips(monkeypatch)
        with django_assert_num_queries(0):
            assert oauth.api(token, "/api/me").status_code == 200
        assert calls == ["get_many"]
        org.plan = "basic"
        org.save()
        assert oauth.api(token, "/api/users/").status_code == 401


def test_the_default_adapter_keeps_the_hot_path_to_one_round_trip_and_no_sql(
    oauth: OAuthClient, hot: str, django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = cache_round_trips(monkeypatch)
    with django_assert_num_queries(0):
        assert oauth.api(hot, "/api/me").status_code == 200
    assert calls == ["get_many"]


@pytest.mark.django_db(transaction=True)  # the generations published on commit are the ones read
def test_an_expired_generation_costs_one_query_and_keeps_the_entries(
    oauth: OAuthClient, hot: str, django_assert_num_queries: Any
) -> None:
    """The cache's copy of the generation expires every GENERATION_SECONDS: the next request
    reads the database's (one primary-key query); unchanged, every entry stays valid."""
    from perscom_oauth.cache.generations import generation_key

    cache.delete(generation_key(oauth.host))  # as if it had expired
    with django_assert_num_queries(1):
        assert oauth.api(hot, "/api/me").status_code == 200
    with django_assert_num_queries(0):
        assert oauth.api(hot, "/api/me").status_code == 200
