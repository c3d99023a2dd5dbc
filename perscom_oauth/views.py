"""The OAuth endpoints at PERSCOM's paths: django-oauth-toolkit's views behind tenant gates.

Each view resolves the organization from the host first: an unknown host is a 404 on every
endpoint, and an organization whose plan lacks OAuth 2.0 gets nothing issued.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from oauth2_provider import views as base

from .adapter import get_adapter
from .tenancy import organization_for_request

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def oauth_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6749 §5.2 error body; like every token response, never cached (§5.1)."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def unknown_host_message(request: HttpRequest) -> str:
    return _("No organization answers at host '%(host)s'.") % {"host": request.get_host()}


def error_page(request: HttpRequest, status: int, title: str, description: str) -> HttpResponse:
    context = {"title": title, "description": description}
    return render(request, "perscom_oauth/error.html", context, status=status)


class AuthorizationView(base.AuthorizationView):
    """RFC 6749 §4.1.1: the consent screen, for members of an organization with OAuth 2.0."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = organization_for_request(request)
        if organization is None:
            return error_page(request, 404, _("Unknown organization"), unknown_host_message(request))
        adapter = get_adapter()
        if not adapter.has_oauth(organization):
            # An error page rather than a §4.1.2.1 redirect: nothing about the client is
            # validated (or revealed) for an organization that cannot use OAuth at all.
            message = adapter.plan_refusal_message(organization)
            return error_page(request, 403, _("OAuth 2.0 is not available"), message)
        user = request.user
        if user.is_authenticated and not adapter.is_member(user, organization):
            message = _("You are not a member of %(organization)s, so you cannot authorize apps for it.")
            return error_page(request, 403, _("Not a member"), message % {"organization": organization})
        return super().dispatch(request, *args, **kwargs)


class TokenView(base.TokenView):
    """RFC 6749 §3.2: the token endpoint, refusing every grant type without the plan."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = organization_for_request(request)
        if organization is None:
            return oauth_error(404, "invalid_request", unknown_host_message(request))
        adapter = get_adapter()
        if not adapter.has_oauth(organization):
            # §5.2 unauthorized_client: the client may not use this grant type (nor any other).
            return oauth_error(400, "unauthorized_client", adapter.plan_refusal_message(organization))
        if request.POST.get("grant_type") == DEVICE_CODE_GRANT and not request.POST.get("device_code"):
            # The base view would raise KeyError (a 500) on this malformed request.
            return oauth_error(400, "invalid_request", _("Missing device_code parameter."))
        return super().post(request, *args, **kwargs)


class RevokeTokenView(base.RevokeTokenView):
    """RFC 7009: token revocation.

    Not plan-gated on purpose: revoking only ever reduces access, and an organization that
    downgraded must still be able to cut off the tokens it issued.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if organization_for_request(request) is None:
            return oauth_error(404, "invalid_request", unknown_host_message(request))
        return super().post(request, *args, **kwargs)
