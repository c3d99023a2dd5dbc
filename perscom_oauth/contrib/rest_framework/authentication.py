"""DRF authentication by bearer token, for the organization of the request's host."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import authentication
from oauth2_provider.www_authenticate import build_bearer_challenge
from rest_framework import exceptions
from rest_framework.request import Request

from ...http_auth import presents_bearer


class OAuth2Authentication(authentication.OAuth2Authentication):
    """django-oauth-toolkit's DRF authentication, stricter about bad tokens.

    A request that presents a bearer token which fails validation is refused with 401 and the
    RFC 6750 §3.1 ``WWW-Authenticate`` error, instead of going on as an anonymous request.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None and result[0] is None:
            # A machine-to-machine token has no user; an AnonymousUser keeps DRF and view code
            # that reads request.user.is_authenticated working (the token is request.auth).
            return AnonymousUser(), result[1]
        if result is None and presents_bearer(request.headers):
            error = getattr(request, "oauth2_error", None) or {}
            if "error" not in error:
                # authenticate_header() reads it back for the WWW-Authenticate challenge.
                error = {"error": "invalid_token"}
                setattr(request, "oauth2_error", error)  # noqa: B010
            raise exceptions.AuthenticationFailed(
                error.get("error_description") or _("The access token is invalid.")
            )
        return result

    def authenticate_header(self, request: Request) -> str:
        # The base class does not escape quotes; an organization's name appears in plan errors.
        error = getattr(request, "oauth2_error", None) or {}
        return build_bearer_challenge(
            request, oauth2_error=error, realm=self.www_authenticate_realm, resource_metadata_url=None
        )
