"""The scope registry: scopes are Django permissions, one-to-one, and collisions fail `check`."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.checks import run_checks
from django.core.management import call_command

from perscom_oauth.scopes.registry import codename_for_scope, registry, scope_for_codename


@pytest.mark.parametrize(
    ("codename", "scope"),
    [
        ("view_user", "view:user"),
        ("add_award", "create:award"),
        ("change_rank", "update:rank"),
        ("delete_assignmentrecord", "delete:assignmentrecord"),
        ("clear_cache", "clear:cache"),
        ("view_settings", "view:settings"),
    ],
)
def test_mapping_both_ways(codename: str, scope: str) -> None:
    assert scope_for_codename(codename) == scope
    assert codename_for_scope(scope) == codename


@pytest.mark.parametrize("bad", ["hoist", "_x", "x_", ""])
def test_malformed_codenames_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        scope_for_codename(bad)


@pytest.mark.django_db
def test_every_permission_of_the_demo_apps_round_trips() -> None:
    permissions = Permission.objects.filter(content_type__app_label="demo") | Permission.objects.filter(
        content_type__app_label="auth", content_type__model="user"
    )
    scopes = registry()
    assert permissions.count() == 14  # rank and award x4, user x4, clear_cache, view_settings
    for permission in permissions:
        scope = scope_for_codename(permission.codename)
        assert codename_for_scope(scope) == permission.codename
        assert scopes[scope].permission == f"{permission.content_type.app_label}.{permission.codename}"
    assert set(scopes) == {scope_for_codename(p.codename) for p in permissions} | {
        "openid",
        "profile",
        "email",
    }


def test_descriptions_come_from_the_permission() -> None:
    scopes = registry()
    assert str(scopes["view:user"].description) == "Can view user"
    assert str(scopes["create:award"].description) == "Can create award"
    assert str(scopes["clear:cache"].description) == "Can clear the cache"
    assert scopes["view:settings"].resource == "settings"


def test_new_models_follow_the_setting(settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SCOPE_MODELS": ["auth.User", "auth.Group"]}
    assert "update:group" in registry()
    assert "view:rank" not in registry()


def check_ids() -> list[str]:
    return [m.id for m in run_checks() if m.id and m.id.startswith("perscom_oauth.")]


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        (["demo", "scope_collisions.Award"], "perscom_oauth.E010"),  # view:award twice
        (["scope_collisions.Medal"], "perscom_oauth.E009"),  # create_medal vs add_medal
        (["scope_collisions.Flag"], "perscom_oauth.E008"),  # "hoist" is no verb_object
        (["no_such_app"], "perscom_oauth.E008"),
    ],
)
def test_collisions_are_system_check_errors(settings: Any, models: list[str], expected: str) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SCOPE_MODELS": models}
    assert expected in check_ids()


def test_extra_scope_colliding_with_a_permission(settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "EXTRA_SCOPES": {"view:user": "Shadow"}}
    assert check_ids() == ["perscom_oauth.E010"]


def test_list_scopes_prints_the_registry() -> None:
    out = io.StringIO()
    call_command("list_scopes", "--json", stdout=out)
    rows = {row["scope"]: row for row in json.loads(out.getvalue())}
    assert rows["create:award"] == {
        "scope": "create:award",
        "description": "Can create award",
        "permission": "demo.add_award",
    }
    assert rows["openid"]["permission"] is None
    text = io.StringIO()
    call_command("list_scopes", stdout=text)
    assert "view:user" in text.getvalue() and f"{len(rows)} scopes" in text.getvalue()
