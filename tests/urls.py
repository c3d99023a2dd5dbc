"""The demo's URLs plus a plain Django view, for tests of the ``scopes_required`` decorator."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.contrib.rest_framework import ScopePermissions
from perscom_oauth.decorators import scopes_required
from project.urls import urlpatterns as project_urlpatterns


@scopes_required("view:rank")
def rank_count(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.get_username() or None})


class ClearCacheView(APIView):
    """Composed: a token with clear:cache, or a staff user's session."""

    permission_classes = [ScopePermissions | IsAdminUser]
    required_scopes = ["clear:cache"]

    def post(self, request: Request) -> Response:
        return Response({"cleared": True})


class MisconfiguredView(APIView):
    permission_classes = [ScopePermissions]  # no queryset, no required_scopes

    def get(self, request: Request) -> Response:
        return Response({})


urlpatterns = [
    path("plain/ranks", rank_count),
    path("composed/clear-cache", ClearCacheView.as_view()),
    path("misconfigured", MisconfiguredView.as_view()),
    *project_urlpatterns,
]
