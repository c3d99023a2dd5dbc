"""The remote ``ScopePermissions`` requires what the in-process one requires, rule for rule: the
scopes of a view and method are the same question on both sides of introspection."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.routers import APIRootView
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from perscom_oauth.contrib.rest_framework import ScopePermissions as InProcess
from perscom_oauth.remote.permissions import ScopePermissions as Remote


class Listed(APIView):
    required_scopes = ["clear:cache"]


class Open(APIView):
    required_scopes: list[str] = []


class Dict(GenericAPIView):  # type: ignore[type-arg]
    queryset = Group.objects.all()
    required_scopes = {"publish": ["update:group"], "GET": ["view:other"]}


class DictOnly(APIView):
    required_scopes = {"POST": ["create:thing"]}


class ModelOnly(GenericAPIView):  # type: ignore[type-arg]
    queryset = Group.objects.all()


class Nothing(APIView):
    pass


class Root(APIRootView):
    pass


VIEWS = [Listed, Open, Dict, DictOnly, ModelOnly, Nothing, Root]
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE"]


def outcome(permission: Any, view_class: type[APIView], method: str, action: str | None) -> object:
    view = view_class()
    view.action = action  # type: ignore[attr-defined]
    request = Request(APIRequestFactory().generic(method, "/"))
    try:
        return permission.get_required_scopes(request, view)
    except Exception as exc:  # MethodNotAllowed, ImproperlyConfigured: the same refusal
        return type(exc).__name__


@pytest.mark.parametrize("view_class", VIEWS)
@pytest.mark.parametrize("action", [None, "list", "publish"])
def test_both_classes_require_the_same_scopes(view_class: type[APIView], action: str | None) -> None:
    for method in METHODS:
        expected = outcome(InProcess(), view_class, method, action)
        assert outcome(Remote(), view_class, method, action) == expected, (view_class, method, action)


def test_the_tunables_are_the_same() -> None:
    assert Remote.scopes_map == InProcess.scopes_map
    assert Remote.read_aliases == InProcess.read_aliases
    assert Remote.index_views == InProcess.index_views
