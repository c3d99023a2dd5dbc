"""Protect a plain Django view of a separate service by scope: the twin of
``perscom_oauth.decorators.scopes_required``, for tokens checked by introspection."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from oauth2_provider.www_authenticate import challenge_status

from .check import Refusal, Unavailable, bearer_challenge, check_bearer_request


def challenge(request: HttpRequest, error: dict[str, str]) -> HttpResponse:
    """RFC 6750 §3.1: 401 for a missing or bad token, 403 for insufficient scope."""
    # §3.1: a request without credentials gets a bare challenge, no error code.
    body = error or {"detail": _("Authentication credentials were not provided.")}
    response = JsonResponse(body, status=challenge_status(error))
    response["WWW-Authenticate"] = bearer_challenge(request, error)
    return response


def unavailable() -> HttpResponse:
    """The token could not be checked: refused, never served (fail closed)."""
    return JsonResponse({"detail": _("The access token cannot be checked now; try again later.")}, status=503)


def scopes_required(*scopes: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The view runs only for a bearer token that the organization's authorization server says
    is active (within ``CACHE_SECONDS``) and may do all of ``scopes``. The view finds the token
    in ``request.access_token`` (a ``RemoteToken``) and its user in ``request.user``
    (``RemoteUser``, or ``AnonymousUser`` for a machine-to-machine token). Sessions do not
    count: this service's users are not the organization's members."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                checked = check_bearer_request(request)
            except Unavailable:
                return unavailable()
            if checked is None:
                return challenge(request, {})
            if isinstance(checked, Refusal):
                return challenge(request, checked.as_oauth2_error())
            if not checked.allow_scopes(scopes):
                error = {
                    "error": "insufficient_scope",
                    "error_description": _("The access token lacks a required scope."),
                    "scope": " ".join(scopes),
                }
                return challenge(request, error)
            request.user = checked.user or AnonymousUser()  # type: ignore[assignment]
            request.access_token = checked  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
