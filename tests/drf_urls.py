"""The demo's URLs plus DRF views that exercise the corners of ``ScopePermissions``
(tests/test_drf_permissions.py)."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from rest_framework import generics
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from perscom_oauth.contrib.rest_framework import ScopePermissions
from project.api import AwardViewSet
from project.demo.models import Rank
from project.urls import urlpatterns as project_urlpatterns


class PublishingAwardViewSet(AwardViewSet):
    """A dict naming one custom action: every other action keeps its model's scopes."""

    required_scopes = {"publish": ["update:award"]}

    @action(detail=False, methods=["post"])
    def publish(self, request: Request) -> Response:
        return Response({"published": True})


class TracedRankView(APIView):
    """A handler for a method ``scopes_map`` does not list (TRACE)."""

    permission_classes = [ScopePermissions]
    queryset = Rank.objects.all()

    def get(self, request: Request) -> Response:
        return Response({"ranks": True})

    def trace(self, request: Request) -> Response:
        return Response({"traced": True})


class ByMethodView(APIView):
    """No model; scopes declared per HTTP method (HEAD and OPTIONS read GET's entry)."""

    permission_classes = [ScopePermissions]
    required_scopes = {"GET": ["view:settings"]}

    def get(self, request: Request) -> Response:
        return Response({"settings": True})

    def post(self, request: Request) -> Response:
        return Response({"changed": True})


class UndeclaredView(APIView):
    permission_classes = [ScopePermissions]  # no queryset, no required_scopes

    def get(self, request: Request) -> Response:
        return Response({})


class UndeclaredGenericView(generics.ListAPIView[Any]):
    permission_classes = [ScopePermissions]  # GenericAPIView.get_queryset() without .queryset


router = SimpleRouter()
router.register("awards", PublishingAwardViewSet, basename="publishing-award")

urlpatterns = [
    path("drf/", include(router.urls)),
    path("drf/traced-ranks", TracedRankView.as_view()),
    path("drf/by-method", ByMethodView.as_view()),
    path("drf/undeclared", UndeclaredView.as_view()),
    path("drf/undeclared-generic", UndeclaredGenericView.as_view()),
    *project_urlpatterns,
]
