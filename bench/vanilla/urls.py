from django.urls import include, path
from oauth2_provider.contrib.rest_framework import TokenHasScope
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class MeView(APIView):
    permission_classes = [TokenHasScope]
    required_scopes = ["view:user"]

    def get(self, request: Request) -> Response:
        return Response({"user": request.user.get_username()})


urlpatterns = [path("api/me", MeView.as_view()), path("o/", include("oauth2_provider.urls"))]
