"""System checks: one test per id, and `manage.py check` runs them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Tags, run_checks
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from perscom_oauth.checks import TAG
from perscom_oauth.conf import DEFAULTS, OAuthSettings, oauth_settings
from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS


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
    assert set(plain) == {"check_settings", "check_oauth2_provider", "check_scopes", "check_rest_framework"}
    assert set(deploy) == set(plain) | DEPLOY_CHECKS
    assert all(TAG in tags and tags - {TAG} for tags in deploy.values()), deploy
    assert {name for name, tags in deploy.items() if Tags.security in tags} == {
        "check_oauth2_provider",
        "check_scopes",
        "check_database_outage_answer",
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
