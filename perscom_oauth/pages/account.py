"""The signed-in user's own pages: "Authorized applications" (/oauth/authorized-apps).

Each application of the host's organization that the user authorized and that still holds
consent or tokens, its scopes in words, when it was granted and last used, and a Revoke button
that asks for confirmation, then ends it at once (``tokens.revocation.revoke_authorization``; audited
with the user as actor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View
from oauth2_provider.models import get_application_model

from ..audit import Actor
from ..http.numbers import primary_key
from ..tenancy.gates import TenantGateMixin
from ..tenancy.hosts import gated_organization
from ..tokens.revocation import revoke_authorization
from . import authorizations
from .errors import PageRefusalMixin

if TYPE_CHECKING:
    from ..typing import Organization


class AuthorizedAppsView(PageRefusalMixin, TenantGateMixin, LoginRequiredMixin, View):
    template_name = "perscom_oauth/authorized_apps.html"
    plan_gated = False  # seeing and revoking access only ever reduces it

    @property
    def organization(self) -> Organization:
        return gated_organization(self.request)

    def get(self, request: HttpRequest) -> HttpResponse:
        found = authorizations.for_user(request.user, self.organization)
        # The Revoke button of a card asks first (``?revoke=<id>``, a GET form: no JavaScript);
        # the confirmation's own button posts. Only an application listed here can be confirmed.
        confirming = request.GET.get("revoke", "")
        context = {
            "organization": self.organization,
            "account": request.user,
            "authorizations": found,
            "confirming": next((a for a in found if str(a.application.pk) == confirming), None),
        }
        response = render(request, self.template_name, context)
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request: HttpRequest) -> HttpResponse:
        # Anything but a primary key in ASCII digits matches nothing (numbers.primary_key).
        pk = primary_key(request.POST.get("application", ""))
        application = (
            get_application_model()
            .objects.filter(pk=pk, organization=self.organization)
            .select_related("organization")
            .first()
        )
        if application is None:
            messages.error(request, _("No such application."))
        else:
            revoke_authorization(
                request.user,
                application,
                actor_type=Actor.USER,
                actor=request.user,
                request=request,
                reason="user",
            )
            messages.success(
                request,
                _("%(application)s can no longer access your account.") % {"application": application},
            )
        return HttpResponseRedirect(request.path)
