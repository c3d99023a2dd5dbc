"""Protect a plain Django view by scope: ``@scopes_required("view:user")``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from oauth2_provider.www_authenticate import challenge_status

from .http.challenges import Refusal, bearer_challenge
from .scopes.effective import member_scopes
from .tenancy.hosts import organization_for_request
from .tokens.check import check_bearer_request

if TYPE_CHECKING:
    from .typing import AccessToken


def challenge(request: HttpRequest, error: dict[str, str]) -> HttpResponse:
    """RFC 6750 §3.1: 401 for a missing or bad token, 403 for insufficient scope."""
    # §3.1: a request without credentials gets a bare challenge, no error code.
    body = error or {"detail": _("Authentication credentials were not provided.")}
    response = JsonResponse(body, status=challenge_status(error))
    response["WWW-Authenticate"] = bearer_challenge(request, error)
    return response


def refuse_bearer(
    request: HttpRequest, checked: AccessToken | Refusal, scopes: tuple[str, ...]
) -> HttpResponse | None:
    """The RFC 6750 §3.1 answer to a presented bearer token (``check_bearer_request``) that is
    refused (401 ``invalid_token``) or lacks a scope (403 ``insufficient_scope``), else None."""
    if isinstance(checked, Refusal):
        return challenge(request, checked.as_oauth2_error())
    if not set(scopes) <= checked.effective_scopes:
        error = {
            "error": "insufficient_scope",
            "error_description": _("The access token lacks a required scope."),
            "scope": " ".join(scopes),
        }
        return challenge(request, error)
    return None


def scopes_required(*scopes: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The view runs only for a bearer token whose effective scopes include ``scopes``, or for a
    signed-in user who holds the matching permissions in the request's organization."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            checked = check_bearer_request(request)
            if checked is not None:
                refused = refuse_bearer(request, checked, scopes)
                if refused is not None:
                    return refused
                # Not refused: the token (a Refusal is answered by refuse_bearer).
                request.user = cast("AccessToken", checked).user or AnonymousUser()
                request.access_token = checked  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            user = request.user
            if not user.is_authenticated:
                return challenge(request, {})
            held = member_scopes(user, organization_for_request(request))
            if held is None or not set(scopes) <= held:
                return JsonResponse(
                    {"detail": _("You do not have permission to perform this action.")}, status=403
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
