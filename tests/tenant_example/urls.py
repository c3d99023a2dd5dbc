from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.contrib.rest_framework import ScopePermissions


class MeView(APIView):
    permission_classes = [ScopePermissions]
    required_scopes = ["view:user"]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.get_username()})


urlpatterns = [
    path("api/me", MeView.as_view()),
    path("", include("perscom_oauth.urls")),
]
