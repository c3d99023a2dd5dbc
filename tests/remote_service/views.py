"""One DRF view and one plain view, protected as the organization's own API would be."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.remote.check import RemoteToken
from perscom_oauth.remote.decorators import scopes_required


def described(user: Any, token: RemoteToken) -> dict[str, Any]:
    return {
        "user": user.get_username() if user.is_authenticated else None,
        "client_id": token.client_id,
        "scope": token.scope,
        "organization": token.organization,
        "expires": token.expires.isoformat(),
        "resource": list(token.resource),
    }


class Reports(APIView):
    # The default permission class is perscom_oauth.remote's ScopePermissions (settings).
    required_scopes = {"GET": ["view:user"], "POST": ["create:user"]}

    def get(self, request: Request) -> Response:
        return Response(described(request.user, request.auth))

    def post(self, request: Request) -> Response:
        return Response(described(request.user, request.auth), status=201)


@scopes_required("view:rank")
def ranks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(described(request.user, request.access_token))  # type: ignore[attr-defined]
