"""The demo's API: what a third-party app reaches with its bearer token."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.tenancy import organization_for_request


class MeView(APIView):
    """The token's user, organization and scopes (scopes are null for a browser session)."""

    def get(self, request: Request) -> Response:
        organization = organization_for_request(request._request)
        token = request.auth if hasattr(request.auth, "scope") else None
        return Response(
            {
                "user": {"id": request.user.pk, "username": request.user.get_username()},
                "organization": organization
                and {"slug": organization.slug, "name": organization.name, "plan": organization.plan},
                "client_id": token.application.client_id if token and token.application else None,
                "scopes": sorted(token.scope.split()) if token else None,
            }
        )
