"""The unauthenticated baseline of bench/e2e.py: the same DRF view on both sides, no auth at all."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class OpenView(APIView):
    """What a protected endpoint costs without its token check: same server, same middleware."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request: Request) -> Response:
        return Response({"user": "anonymous"})


def open_copy(view: type[APIView]) -> type[APIView]:
    """The protected view itself with AllowAny and no authentication: what the issue calls the
    same view unauthenticated (the handler runs with an anonymous user)."""
    return type(
        f"Open{view.__name__}", (view,), {"permission_classes": [AllowAny], "authentication_classes": []}
    )
