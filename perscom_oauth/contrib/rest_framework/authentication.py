"""DRF authentication by bearer token, for the organization of the request's host."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from oauth2_provider.contrib.rest_framework import authentication
from rest_framework import exceptions
from rest_framework.request import Request

from ...http.challenges import Refusal, bearer_challenge
from ...tokens.check import check_bearer_request

if TYPE_CHECKING:
    from ...typing import AccessToken, AnyUser


class OAuth2Authentication(authentication.OAuth2Authentication):
    """django-oauth-toolkit's DRF authentication, checked by ``tokens.check`` (the one place a
    token is checked) without the round trip through oauthlib, and stricter: a request that
    presents a bearer token which fails is refused with 401 and the RFC 6750 §3.1
    ``WWW-Authenticate`` error, never served as anonymous. A machine-to-machine token
    authenticates as ``AnonymousUser``, with the token in ``request.auth``.
    """

    def authenticate(self, request: Request) -> tuple[AnyUser, AccessToken] | None:
        checked = check_bearer_request(request._request)
        if checked is None:
            return None
        if isinstance(checked, Refusal):
            # authenticate_header() reads it back for the WWW-Authenticate challenge.
            setattr(request, "oauth2_error", checked.as_oauth2_error())  # noqa: B010
            raise exceptions.AuthenticationFailed(checked.description)
        return checked.user or AnonymousUser(), checked

    def authenticate_header(self, request: Request) -> str:
        # The base class does not escape quotes; an organization's name appears in plan errors.
        error = getattr(request, "oauth2_error", None) or {}
        return bearer_challenge(request, error, realm=self.www_authenticate_realm)
