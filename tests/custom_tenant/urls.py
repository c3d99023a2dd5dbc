from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.tenancy.hosts import organization_for_request


class MeView(APIView):
    # The project's REST_FRAMEWORK defaults apply: ScopePermissions, here needing no scope.
    required_scopes: list[str] = []

    def get(self, request: Request) -> Response:
        tenant = organization_for_request(request._request)
        return Response({"username": request.user.get_username(), "tenant": tenant and tenant.subdomain})


urlpatterns = [
    path("api/me", MeView.as_view()),
    path("", include("perscom_oauth.urls")),
]
