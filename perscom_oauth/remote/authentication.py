"""DRF authentication by introspection, the twin of
``perscom_oauth.contrib.rest_framework.OAuth2Authentication`` for a service in another process."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from .check import Refusal, RemoteToken, Unavailable, bearer_challenge, check_bearer_request


class AuthorizationServerUnavailable(exceptions.APIException):
    """The token could not be checked: the request is refused, never served."""

    status_code = 503
    default_detail = _("The access token cannot be checked now; try again later.")
    default_code = "temporarily_unavailable"


class IntrospectionAuthentication(BaseAuthentication):
    """A bearer token, valid when the organization's introspection endpoint says it is active
    (within ``CACHE_SECONDS``) and it is not bound to another resource.

    As in process: a request without a bearer token is left to the other authenticators (or
    answered with the bare ``401`` challenge); a refused token is a ``401`` with the RFC 6750
    §3.1 ``invalid_token`` challenge, never served as anonymous; ``request.auth`` is the token
    (a ``RemoteToken``), ``request.user`` its user (``get_user``), ``AnonymousUser`` for a
    machine-to-machine token. When the authorization server cannot answer: ``503``.
    """

    def authenticate(self, request: Request) -> tuple[Any, RemoteToken] | None:
        try:
            checked = check_bearer_request(request._request)
        except Unavailable:
            raise AuthorizationServerUnavailable() from None
        if checked is None:
            return None
        if isinstance(checked, Refusal):
            # authenticate_header() reads it back for the WWW-Authenticate challenge.
            setattr(request, "oauth2_error", checked.as_oauth2_error())  # noqa: B010
            raise exceptions.AuthenticationFailed(checked.description)
        return self.get_user(checked), checked

    def get_user(self, token: RemoteToken) -> Any:
        """``request.user`` for an active token: a ``RemoteUser`` (the username and organization
        the authorization server gave; no row of this service), ``AnonymousUser`` for a token
        without a user. Override to map the username to a user of your own; do not create users
        of your own from every token you meet."""
        return token.user or AnonymousUser()

    def authenticate_header(self, request: Request) -> str:
        return bearer_challenge(request._request, getattr(request, "oauth2_error", None))
