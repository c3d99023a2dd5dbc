"""System checks: one test per id, and `manage.py check` runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Tags, run_checks
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from perscom_oauth.adapter import OrganizationAdapter
from perscom_oauth.checks import TAG
from perscom_oauth.conf import DEFAULTS, OAuthSettings, declarations, oauth_settings
from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, basic_auth


@pytest.fixture(scope="module")
def global_rsa_key() -> str:
    from jwcrypto import jwk

    return jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()


@pytest.fixture(autouse=True)
def signing_key_either_way(settings: Any, global_rsa_key: str) -> None:
    """The tests below replace PERSCOM_OAUTH, and with it the demo's key-encryption key: a
    global key keeps OpenID Connect signing (E011 has its own tests)."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": global_rsa_key}


def ids() -> list[str]:
    return [message.id for message in run_checks() if message.id and message.id.startswith("perscom_oauth.")]


def test_the_demo_configuration_is_clean() -> None:
    assert ids() == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a dict", "perscom_oauth.E001"),
        ({"PLANS_WITH_OAUTH": ["enterprise"], "PLAN_WITH_OAUTH": []}, "perscom_oauth.E013"),
        ({"ADAPTER": "no.such.Adapter"}, "perscom_oauth.E002"),
        ({"ADAPTER": "django.contrib.auth.models.User"}, "perscom_oauth.E002"),
        ({"ADAPTER": 7}, "perscom_oauth.E002"),
        ({"PLANS_WITH_OAUTH": "enterprise"}, "perscom_oauth.E004"),
        ({"PLANS_WITH_OAUTH": []}, "perscom_oauth.W001"),
        ({"DEFAULT_ORGANIZATION": 7}, "perscom_oauth.E005"),
        ({"PKCE_REQUIRED_FOR": "confidential"}, "perscom_oauth.E006"),
    ],
)
def test_perscom_oauth_setting_checks(settings: Any, value: Any, expected: str) -> None:
    settings.PERSCOM_OAUTH = value
    assert ids() == [expected]


@pytest.mark.parametrize("key", ["OAUTH2_VALIDATOR_CLASS", "OAUTH2_BACKEND_CLASS"])
def test_our_hooks_into_the_base_library_are_required(settings: Any, key: str) -> None:
    settings.OAUTH2_PROVIDER = {**OAUTH2_PROVIDER_DEFAULTS, key: f"oauth2_provider.{'x'}"}
    assert ids() == ["perscom_oauth.E003"]
    settings.OAUTH2_PROVIDER = {k: v for k, v in OAUTH2_PROVIDER_DEFAULTS.items() if k != key}
    assert ids() == ["perscom_oauth.E003"]


def test_application_model_must_be_ours(settings: Any) -> None:
    settings.OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
    assert "perscom_oauth.E007" in ids()


def test_grant_model_must_be_ours(settings: Any) -> None:
    settings.OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
    assert ids() == ["perscom_oauth.E012"]


def test_rest_framework_exception_handler_is_recommended(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "EXCEPTION_HANDLER": "myproject.handler"}
    assert ids() == ["perscom_oauth.W002"]


@pytest.mark.parametrize("value", [["EXCEPTION_HANDLER"], "perscom_oauth.contrib.rest_framework"])
def test_rest_framework_that_is_not_a_dict_is_an_error_not_a_crash(settings: Any, value: Any) -> None:
    """DRF's own checks raise on such a value: ``--tag perscom_oauth`` runs ours alone."""
    settings.REST_FRAMEWORK = value
    assert [m.id for m in run_checks(tags=[TAG])] == ["perscom_oauth.E014"]
    with pytest.raises(SystemCheckError, match=r"perscom_oauth\.E014.*\n\s+HINT: Set REST_FRAMEWORK = "):
        call_command("check", tag=[TAG])


def test_manage_py_check_reports_them(settings: Any) -> None:
    settings.PERSCOM_OAUTH = {"ADAPTER": "no.such.Adapter"}
    with pytest.raises(SystemCheckError, match=r"perscom_oauth\.E002.*\n\s+HINT: Name a subclass"):
        call_command("check")


def test_oidc_needs_a_signing_key(settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": ""}
    assert ids() == []  # the demo's key-encryption key: per-organization keys
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    assert ids() == ["perscom_oauth.E011"]


def test_a_per_process_cache_is_reported_for_deployment(settings: Any) -> None:
    from perscom_oauth.checks import check_shared_cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [m.id for m in check_shared_cache()] == ["perscom_oauth.W003"]
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TOKEN_CACHE_SECONDS": 0}
    assert check_shared_cache() == []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "x"}}
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TOKEN_CACHE_SECONDS": 300}
    assert check_shared_cache() == []


def test_a_database_outage_without_its_middleware_is_reported_for_deployment(settings: Any) -> None:
    from perscom_oauth.checks import check_database_outage_answer

    assert check_database_outage_answer() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("DatabaseOutageMiddleware")]
    assert [m.id for m in check_database_outage_answer()] == ["perscom_oauth.W004"]


def test_redis_without_timeouts_is_reported_for_deployment(settings: Any) -> None:
    from perscom_oauth.checks import check_redis_timeouts

    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/14",
    }
    settings.CACHES = {"default": redis}
    assert [m.id for m in check_redis_timeouts()] == ["perscom_oauth.W005"]
    timeouts = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    settings.CACHES = {"default": {**redis, "OPTIONS": timeouts}}
    assert check_redis_timeouts() == []


def test_reads_from_redis_replicas_and_a_sentinel_cache_without_its_service_are_errors(settings: Any) -> None:
    from perscom_oauth.checks import check_redis_topology

    primary = {"BACKEND": "perscom_oauth.cache.backend.RedisCache", "LOCATION": "redis://10.0.0.1:6379/0"}
    settings.CACHES = {"default": primary}
    assert check_redis_topology() == []
    settings.CACHES = {"default": {**primary, "LOCATION": "redis://10.0.0.1:6379/0,redis://10.0.0.2:6379/0"}}
    assert [m.id for m in check_redis_topology()] == ["perscom_oauth.E042"]
    sentinels = ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379", "redis://10.0.0.3:26379"]
    sentinel = {"BACKEND": "perscom_oauth.cache.sentinel.RedisSentinelCache", "LOCATION": sentinels}
    settings.CACHES = {"default": {**sentinel, "OPTIONS": {"service_name": "perscom"}}}
    assert check_redis_topology() == []
    settings.CACHES = {"default": sentinel}
    assert [m.id for m in check_redis_topology()] == ["perscom_oauth.E043"]
    nodes = "redis://10.0.0.1:7000,redis://10.0.0.2:7000"  # a cluster's startup nodes, not replicas
    settings.CACHES = {
        "default": {"BACKEND": "perscom_oauth.cache.cluster.RedisClusterCache", "LOCATION": nodes}
    }
    assert check_redis_topology() == []


def test_redis_cluster_without_timeouts_is_reported_for_deployment(settings: Any) -> None:
    from perscom_oauth.checks import check_redis_timeouts

    settings.CACHES = {
        "default": {
            "BACKEND": "perscom_oauth.cache.cluster.RedisClusterCache",
            "LOCATION": "redis://node:6379",
        }
    }
    assert [m.id for m in check_redis_timeouts()] == ["perscom_oauth.W005"]


@pytest.mark.parametrize(
    "option", [{"read_from_replicas": True}, {"load_balancing_strategy": "LoadBalancingStrategy.ROUND_ROBIN"}]
)
def test_a_redis_cluster_cache_reading_from_replicas_is_an_error(
    settings: Any, option: dict[str, Any]
) -> None:
    from perscom_oauth.checks import check_cluster_reads

    cluster = {"BACKEND": "perscom_oauth.cache.cluster.RedisClusterCache", "LOCATION": "redis://node:6379"}
    settings.CACHES = {"default": cluster}
    assert check_cluster_reads() == []
    settings.CACHES = {"default": {**cluster, "OPTIONS": {"socket_timeout": 0.5, **option}}}
    assert [m.id for m in check_cluster_reads()] == ["perscom_oauth.E041"]
    # Only the cluster backend passes OPTIONS to RedisCluster.
    plain = {**cluster, "BACKEND": "perscom_oauth.cache.backend.RedisCache", "OPTIONS": option}
    settings.CACHES = {"default": plain}
    assert check_cluster_reads() == []


def test_persistent_connections_without_health_checks_are_reported_for_deployment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.conf import settings

    from perscom_oauth.checks import check_persistent_connections

    database = settings.DATABASES["default"]  # changed in place: no new connection handler
    monkeypatch.setitem(database, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(database, "CONN_HEALTH_CHECKS", False)
    assert [m.id for m in check_persistent_connections()] == ["perscom_oauth.W006"]
    monkeypatch.setitem(database, "CONN_HEALTH_CHECKS", True)
    assert check_persistent_connections() == []


DEPLOY_CHECKS = {
    "check_test_metadata_documents",
    "check_shared_cache",
    "check_database_outage_answer",
    "check_redis_timeouts",
    "check_persistent_connections",
}


def ours(include_deployment_checks: bool) -> dict[str, set[str]]:
    """Our registered checks, by function name, with their tags."""
    return {
        check.__name__: set(check.tags)
        for check in registry.get_checks(include_deployment_checks)
        if check.__module__ == "perscom_oauth.checks"
    }


def test_every_check_is_tagged_and_the_deployment_ones_run_only_with_deploy() -> None:
    plain, deploy = ours(False), ours(True)
    assert set(plain) == {
        "check_settings",
        "check_oauth2_provider",
        "check_scopes",
        "check_rest_framework",
        "check_adapter_hosts",
        "check_signing_key_encryption",
        "check_redis_topology",
        "check_cluster_reads",
        "check_replica_router",
    }
    assert set(deploy) == set(plain) | DEPLOY_CHECKS
    assert all(TAG in tags and tags - {TAG} for tags in deploy.values()), deploy
    assert {name for name, tags in deploy.items() if Tags.security in tags} == {
        "check_oauth2_provider",
        "check_scopes",
        "check_database_outage_answer",
        "check_test_metadata_documents",
        "check_signing_key_encryption",
        "check_redis_topology",
    }


def test_check_tag_selects_ours(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("DatabaseOutageMiddleware")]
    assert run_checks(tags=[TAG]) == []
    assert "perscom_oauth.W004" in [m.id for m in run_checks(tags=[TAG], include_deployment_checks=True)]
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "ADAPTER": "no.such.Adapter"}
    assert [m.id for m in run_checks(tags=[TAG])] == ["perscom_oauth.E002"]
    assert run_checks(tags=[Tags.urls]) == []
    with pytest.raises(SystemCheckError, match=r"perscom_oauth\.E002"):
        call_command("check", tag=[TAG])


ROUTER = "perscom_oauth.routers.ReplicaRouter"


@pytest.fixture
def replica_alias(monkeypatch: pytest.MonkeyPatch) -> str:
    """A second alias in DATABASES (changed in place: no new connection handler, none opened)."""
    from django.conf import settings

    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    return "replica"


@pytest.mark.parametrize("alias", ["nowhere", "default"])
def test_a_replica_that_is_no_other_database_is_reported(
    settings: Any, replica_alias: str, alias: str
) -> None:
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REPLICA_DATABASE": alias}
    assert ids() == ["perscom_oauth.E038"]
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REPLICA_DATABASE": replica_alias}
    assert ids() == []


class AnalyticsRouter:
    """A host's own router, with no opinion on anything."""


OTHER_ROUTER = f"{__name__}.AnalyticsRouter"


@pytest.mark.parametrize("routers", [[], [OTHER_ROUTER], [ROUTER, OTHER_ROUTER]])
def test_a_replica_without_the_router_last_is_reported(
    settings: Any, replica_alias: str, routers: list[str]
) -> None:
    """Missing: nothing reads the replica; not last: the routers after it are never asked."""
    settings.DATABASE_ROUTERS = routers
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REPLICA_DATABASE": replica_alias}
    assert ids() == ["perscom_oauth.E039"]
    settings.DATABASE_ROUTERS = [*routers[1:], ROUTER]
    assert ids() == []


def test_the_router_without_a_replica_is_reported(settings: Any) -> None:
    from perscom_oauth.routers import ReplicaRouter

    for entry in (ROUTER, ReplicaRouter()):  # a dotted path or an instance, as Django takes them
        settings.DATABASE_ROUTERS = [entry]
        assert ids() == ["perscom_oauth.W008"]
    settings.DATABASE_ROUTERS = []
    assert ids() == []


def test_the_demo_has_no_deployment_warning_of_ours() -> None:
    """The demo's settings follow docs/deployment.md (W003 only applies without Redis)."""
    from perscom_oauth.checks import check_database_outage_answer, check_persistent_connections

    assert check_database_outage_answer() + check_persistent_connections() == []


def test_every_setting_is_declared_with_its_type_and_read_with_its_default(settings: Any) -> None:
    """conf.OAuthSettings declares each key of DEFAULTS once (mypy checks readers against it);
    a key it lacks, or a misspelt name, would only fail at run time."""
    assert set(OAuthSettings.__annotations__) == set(DEFAULTS)
    settings.PERSCOM_OAUTH = {"TOKEN_CACHE_SECONDS": 7}
    assert oauth_settings.TOKEN_CACHE_SECONDS == 7
    assert oauth_settings.AUDIT_RETENTION_DAYS == DEFAULTS["AUDIT_RETENTION_DAYS"]
    with pytest.raises(AttributeError, match="Unknown perscom-oauth setting"):
        oauth_settings.TOKEN_CACHE


# --- every PERSCOM_OAUTH key, checked from its declaration (issue 19, point 7) -------------------

DECLARED = declarations()
BOUNDED = sorted(name for name, declared in DECLARED.items() if declared.check.minimum is not None)


def test_each_key_is_declared_with_a_check_of_its_own_that_its_default_passes() -> None:
    assert set(DECLARED) == set(DEFAULTS)
    assert len({declared.check.id for declared in DECLARED.values()}) == len(DECLARED)
    assert all(declared.accepts(DEFAULTS[name]) for name, declared in DECLARED.items())


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_a_value_of_another_type_is_its_keys_error(settings: Any, key: str) -> None:
    settings.PERSCOM_OAUTH = {key: b"of no declared type"}
    messages = run_checks(tags=[TAG])
    assert [m.id for m in messages] == [DECLARED[key].check.id]
    assert messages[0].msg.startswith(f'PERSCOM_OAUTH["{key}"] must be {DECLARED[key].describe()}; it is ')
    assert messages[0].hint
    assert getattr(oauth_settings, key) == DEFAULTS[key]  # the default meanwhile, never the bad value


@pytest.mark.parametrize("key", BOUNDED)
def test_a_value_below_its_bound_is_its_keys_error(settings: Any, key: str) -> None:
    minimum = DECLARED[key].check.minimum
    assert minimum is not None
    settings.PERSCOM_OAUTH = {key: minimum - 1}
    assert ids() == [DECLARED[key].check.id]
    settings.PERSCOM_OAUTH = {key: minimum}
    assert ids() == []
    assert getattr(oauth_settings, key) == minimum


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"THROTTLE_WINDOW_SECONDS": 0}, "perscom_oauth.E024"),
        ({"TOKEN_CACHE_SECONDS": "300"}, "perscom_oauth.E025"),
        ({"THROTTLE_FAILURES": True}, "perscom_oauth.E022"),  # a bool is no count
        ({"THROTTLE_SOURCE_FAILURES": 0}, "perscom_oauth.E023"),
        ({"AUDIT_RETENTION_DAYS": 0}, "perscom_oauth.E026"),
        ({"DEVICE_CODE_SECONDS": 59}, "perscom_oauth.E030"),
        ({"DEVICE_CODE_ATTEMPTS": 0}, "perscom_oauth.E031"),
        ({"REMEMBER_CONSENT": "no"}, "perscom_oauth.E021"),
        ({"SCOPE_MODELS": "demo"}, "perscom_oauth.E015"),  # a string is no list of apps
        ({"EXTRA_SCOPES": {"openid": 1}}, "perscom_oauth.E016"),
        ({"PKCE_REQUIRED_FOR": None}, "perscom_oauth.E006"),
    ],
)
def test_manage_py_check_names_the_key_the_value_and_the_fix(
    settings: Any, value: Any, expected: str
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, **value}
    ((key, bad),) = value.items()
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", tag=[TAG])
    report = str(raised.value)
    assert f'{expected}) PERSCOM_OAUTH["{key}"] must be {DECLARED[key].describe()}; it is {bad!r}.' in report
    assert "HINT: Set " in report and "or leave the key out for its default" in report


@pytest.mark.django_db
def test_a_zero_throttle_window_never_fails_a_token_request(settings: Any, org: Any) -> None:
    """Before, ``time.time() // 0`` raised ZeroDivisionError on every client request."""
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "THROTTLE_WINDOW_SECONDS": 0}
    machine = ApplicationFactory(
        organization=org, client_id="m2m", authorization_grant_type="client-credentials"
    )
    oauth = OAuthClient(org.domains.get().hostname)
    response = oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth(machine.client_id),
    )
    assert response.status_code == 200, response.content
    wrong = oauth.client().post(
        "/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic_auth("m2m", "wrong")
    )
    assert wrong.status_code == 401
    assert oauth.api(response.json()["access_token"]).status_code == 200


@pytest.mark.django_db
def test_a_string_token_cache_lifetime_never_breaks_the_cache(settings: Any, org: Any) -> None:
    """Before, ``min(seconds, "300")`` raised TypeError once a token was checked."""
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TOKEN_CACHE_SECONDS": "300"}
    machine = ApplicationFactory(
        organization=org, client_id="m2m", authorization_grant_type="client-credentials"
    )
    oauth = OAuthClient(org.domains.get().hostname)
    token = (
        oauth.client()
        .post(
            "/oauth/token",
            {"grant_type": "client_credentials", "scope": "view:user"},
            HTTP_AUTHORIZATION=basic_auth(machine.client_id),
        )
        .json()["access_token"]
    )
    for _ in range(2):  # stored, then served from the cache
        assert oauth.api(token).status_code == 200


def test_settings_md_states_each_keys_check_and_bound() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    rows = {line.split("`")[1]: line for line in text.splitlines() if line.startswith("| `")}
    for name, declared in DECLARED.items():
        assert f"[`{declared.check.id.rpartition('.')[2]}`](checks.md)" in rows[name], name
        if declared.check.minimum is not None:
            assert f"≥ {declared.check.minimum}" in rows[name], name


def test_an_adapter_resolving_hosts_without_naming_them_is_reported(settings: Any) -> None:
    """Issue 19, point 4: what an adapter can do is declared (``hostnames_of``,
    ``caches_hosts``); a contradiction is a warning, not a silently different cache."""
    from perscom_oauth.checks import check_adapter_hosts

    module = __name__
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "ADAPTER": f"{module}.ResolvesHosts"}
    assert [m.id for m in check_adapter_hosts()] == ["perscom_oauth.W007"]
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "ADAPTER": f"{module}.ResolvesAndNamesHosts"}
    assert check_adapter_hosts() == []
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "ADAPTER": f"{module}.ResolvesHostsUncached"}
    assert check_adapter_hosts() == []


class ResolvesHosts(OrganizationAdapter):
    def organization_for_host(self, hostname: str) -> Any:
        return None


class ResolvesAndNamesHosts(ResolvesHosts):
    def hostnames_of(self, organization_ids: Any) -> dict[int, list[str]]:
        return {}


class ResolvesHostsUncached(ResolvesHosts):
    caches_hosts = False
