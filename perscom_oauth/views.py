"""The OAuth endpoints at PERSCOM's paths: django-oauth-toolkit's views behind tenant gates.

Each view resolves the organization from the host first: an unknown host is a 404 on every
endpoint, and an organization whose plan lacks OAuth 2.0 gets nothing issued.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from oauth2_provider import views as base
from oauth2_provider.models import get_application_model

from .access import consent_groups, grantable_scopes
from .adapter import get_adapter
from .forms import ConsentForm
from .tenancy import organization_for_request

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def oauth_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6749 §5.2 error body; like every token response, never cached (§5.1)."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def has_nul_byte(request: HttpRequest) -> bool:
    """Whether any parameter or client credential carries a NUL byte.

    PostgreSQL cannot store or compare NUL in text, and no legitimate client_id, code or token
    has one, so such requests are refused before any lookup (RFC 6749 §5.2 invalid_request).
    """
    values = [value for _key, values in (*request.GET.lists(), *request.POST.lists()) for value in values]
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        # Credentials are form-encoded inside the base64 (RFC 6749 §2.3.1): %00 is a NUL too.
        try:
            decoded = base64.b64decode(credentials + "==").decode("utf-8", "replace")
        except binascii.Error:
            decoded = ""  # undecodable: the base library refuses it as invalid_client
        values.append(unquote_plus(decoded))
    return any("\x00" in value for value in values)


def unknown_host_message(request: HttpRequest) -> str:
    return _("No organization answers at host '%(host)s'.") % {"host": request.get_host()}


def error_page(request: HttpRequest, status: int, title: str, description: str) -> HttpResponse:
    context = {"title": title, "description": description}
    return render(request, "perscom_oauth/error.html", context, status=status)


class AuthorizationView(base.AuthorizationView):
    """RFC 6749 §4.1.1: the consent screen, for members of an organization with OAuth 2.0.

    It lists the requested scopes grouped by resource; the user may untick any, and scopes
    whose permission the user lacks are shown but cannot be granted.
    """

    template_name = "perscom_oauth/authorize.html"
    form_class = ConsentForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = organization_for_request(request)
        if organization is None:
            return error_page(request, 404, _("Unknown organization"), unknown_host_message(request))
        if has_nul_byte(request):
            return error_page(request, 400, _("Invalid request"), _("Malformed request parameters."))
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

    def form_valid(self, form: Any) -> HttpResponse:
        # The base view looks the (hidden, tamperable) client_id up with .get(): an unknown
        # one would be a 500. RFC 6749 §4.1.2.1: never redirect for an invalid client.
        organization = organization_for_request(self.request)
        client_id = form.cleaned_data["client_id"]
        applications = get_application_model().objects.filter(organization=organization)
        application = applications.filter(client_id=client_id).first()
        if application is None:
            message = _("Invalid client_id parameter value.")
            return error_page(self.request, 400, _("Invalid request"), message)
        # RFC 6749 §3.3: the user may narrow the scope; approving none is a refusal (§4.1.2.1).
        requested = form.cleaned_data["scope"].split()
        approved = set(form.cleaned_data["approved_scopes"])
        grantable = grantable_scopes(self.request.user, organization, application, requested)
        granted = [name for name in grantable if name in approved]
        form.cleaned_data["scope"] = " ".join(granted)
        form.cleaned_data["allow"] = form.cleaned_data["allow"] and bool(granted)
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        # Only a tampered or truncated POST gets here (every field but the checkboxes is hidden).
        message = _("Malformed authorization request: %(fields)s.") % {
            "fields": ", ".join(sorted(form.errors))
        }
        return error_page(self.request, 400, _("Invalid request"), message)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            organization = organization_for_request(self.request)
            requested = context.get("scopes", [])
            context["organization"] = organization
            context["scope_groups"] = consent_groups(self.request.user, organization, application, requested)
        return context


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
        if has_nul_byte(request):
            return oauth_error(400, "invalid_request", _("Malformed request parameters."))
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
        if has_nul_byte(request):
            return oauth_error(400, "invalid_request", _("Malformed request parameters."))
        return super().post(request, *args, **kwargs)
