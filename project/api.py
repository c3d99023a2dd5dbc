"""The demo's API: what a third-party app reaches with its bearer token."""

from __future__ import annotations

from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.tenancy import organization_for_request


class HasAccessToken(BasePermission):
    """A valid bearer token, with or without a user (machine-to-machine tokens have none)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return hasattr(request.auth, "scope")


class MeView(APIView):
    """The token's user, organization and scopes (scopes are null for a browser session)."""

    permission_classes = [IsAuthenticated | HasAccessToken]

    def get(self, request: Request) -> Response:
        organization = organization_for_request(request._request)
        token = request.auth if hasattr(request.auth, "scope") else None
        user = request.user
        return Response(
            {
                "user": {"id": user.pk, "username": user.get_username()} if user.is_authenticated else None,
                "organization": {
                    "slug": organization.slug,
                    "name": organization.name,
                    "plan": organization.plan,
                }
                if organization
                else None,
                "client_id": token.application.client_id if token and token.application else None,
                "scopes": sorted(token.scope.split()) if token else None,
            }
        )
