"""The admin's "Authorizations" page: one row per user and application holding live consent or
tokens, and revoking one (``tokens.revocation.revoke_authorization``: every access token, refresh
token and unused code of the pair, in one transaction).

An authorization is no row of its own (see ``perscom_oauth.pages.authorizations``), so this is a page
of the application admin rather than a model admin; it keeps the admin's look, permissions and
organization scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Model, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from oauth2_provider.models import get_application_model

from ..audit import Actor
from ..http.numbers import primary_key
from ..models import Application, Authorization
from ..pages import authorizations
from ..tokens.revocation import revoke_authorization
from .administered import administered
from .scoping import NoWrites

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

PER_PAGE = 100


class AuthorizationsView(View):
    #: The application admin whose page this is (``as_view(model_admin=...)``).
    model_admin: ModelAdmin[Application] = cast("ModelAdmin[Application]", None)
    template_name = "admin/perscom_oauth/authorizations.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def scope(self, request: HttpRequest) -> Q:
        ids = administered(request)
        return Q() if ids is None else Q(application__organization__in=ids)

    def filters(self, request: HttpRequest) -> tuple[Q, dict[str, str]]:
        """The list's filters, from the query string: organization, application, user, search."""
        query = self.scope(request)
        chosen = {}
        for parameter, lookup in (
            ("organization", "application__organization"),
            ("application", "application"),
            ("user", "user"),
        ):
            value = request.GET.get(parameter, "")
            pk = primary_key(value)  # not a number ("²" too): no filter, as for any other text
            if pk is not None:
                query &= Q(**{lookup: pk})
                chosen[parameter] = value
        term = request.GET.get("q", "").strip()
        if term:
            username = f"user__{get_user_model().USERNAME_FIELD}__icontains"
            query &= (
                Q(**{username: term}) | Q(application__name__icontains=term) | Q(application__client_id=term)
            )
            chosen["q"] = term
        return query, chosen

    def get(self, request: HttpRequest) -> HttpResponse:
        query, chosen = self.filters(request)
        page = Paginator(authorizations.pairs(query), PER_PAGE).get_page(request.GET.get("p"))
        rows = authorizations.load(list(page.object_list))
        ids = administered(request)
        organization_model = Application.organization.field.related_model
        organizations = organization_model._default_manager.all()
        applications = Application.objects.select_related("organization").order_by(
            "organization__name", "name"
        )
        if ids is not None:
            organizations = organizations.filter(pk__in=ids)
            applications = applications.filter(organization__in=ids)
        if "organization" in chosen:
            applications = applications.filter(organization=chosen["organization"])
        context = {
            **self.model_admin.admin_site.each_context(request),
            "title": _("Authorizations"),
            "subtitle": None,
            "opts": self.model_admin.opts,
            "rows": rows,
            "page": page,
            "chosen": chosen,
            "organizations": organizations,
            "applications": applications,
            "filter_query": urlencode(chosen),
        }
        return TemplateResponse(request, self.template_name, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        keys = request.POST.getlist("revoke") or request.POST.getlist("selected")
        pairs = [pair for pair in map(authorizations.parse_key, keys) if pair is not None]
        users = get_user_model()._default_manager.in_bulk({user_id for _app, user_id in pairs})
        # Only applications this user administers: any other key is ignored, as if unknown.
        applications = (
            Application.objects.filter(self.scope_on_application(request))
            .select_related("organization")
            .in_bulk({application_id for application_id, _user in pairs})
        )
        revoked = 0
        for application_id, user_id in pairs:
            user, application = users.get(user_id), applications.get(application_id)
            if user is None or application is None:
                continue
            result = revoke_authorization(
                user, application, actor_type=Actor.ADMIN, actor=request.user, request=request, reason="admin"
            )
            revoked += bool(result.total)
        if revoked:
            message = ngettext("Revoked %d authorization.", "Revoked %d authorizations.", revoked) % revoked
            messages.success(request, message)
        else:
            messages.warning(request, _("No authorization was revoked: select at least one."))
        return HttpResponseRedirect(request.get_full_path())

    def scope_on_application(self, request: HttpRequest) -> Q:
        ids = administered(request)
        return Q() if ids is None else Q(organization__in=ids)


@admin.register(Authorization)
class AuthorizationIndexAdmin(NoWrites, admin.ModelAdmin):
    """The admin index's "Authorizations" entry (a proxy model: the index lists models only).
    It opens the application admin's page, for whoever may view applications there."""

    def application_admin(self) -> ModelAdmin[Application]:
        model_admin: ModelAdmin[Application] = self.admin_site.get_model_admin(get_application_model())
        return model_admin

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(self.application_admin().has_module_permission(request))

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and bool(self.application_admin().has_view_permission(request))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:perscom_oauth_application_authorizations"))
