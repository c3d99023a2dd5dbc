"""Client applications: PERSCOM's "OAuth 2.0 Clients" screen, in the Django admin.

Every action calls a domain function of ``perscom_oauth.applications`` (which writes the audit
trail). The one-time secret, the "Endpoints" panel and the change page's buttons are in
``application_pages``; the form, in PERSCOM's words, in ``forms``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from .. import applications as domain
from ..audit import Actor
from ..models import Application
from ..tokens.revocation import revoke_application
from .administered import administered
from .application_pages import ApplicationPages
from .credentials import revoked_message, summed
from .forms import (
    ADVANCED_FIELDS,
    APPLICATION_TYPES,
    ApplicationForm,
    application_type_label,
    application_type_q,
)
from .scoping import OrganizationScopedAdmin, replace_admin

if TYPE_CHECKING:
    from django import forms
    from django_stubs_ext import StrOrPromise

    from ..typing import Fieldset, FieldsetSpec

CREDENTIAL_MODELS = [
    get_access_token_model(),
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
]
BRANDING: Fieldset = (
    _("Consent screen"),
    {
        "fields": ["publisher", "client_uri", "logo_uri", "policy_uri", "tos_uri"],
        "description": _("What users see when the application asks for access. All optional."),
    },
)
# The ID-token algorithm is chosen at creation (RS256 by default, ``Application.save``) and then
# fixed: relying parties may pin it (OpenID Connect Dynamic Client Registration 1.0 §2).
ADVANCED: Fieldset = (_("Advanced"), {"classes": ["collapse"], "fields": [*ADVANCED_FIELDS, "algorithm"]})


class ApplicationTypeFilter(admin.SimpleListFilter):
    title = _("application type")
    parameter_name = "type"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Application]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return APPLICATION_TYPES

    def queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> QuerySet[Application]:
        value = self.value()
        return queryset.filter(application_type_q(value)) if value else queryset


class ApplicationAdmin(ApplicationPages, OrganizationScopedAdmin):
    form = ApplicationForm
    list_display = [
        "name",
        "organization",
        "application_type",
        "enabled",
        "last_used",
        "active_tokens",
        "client_id",
        "registration",
    ]
    list_filter = [
        ("organization", admin.RelatedOnlyFieldListFilter),
        ApplicationTypeFilter,
        "client_type",
        "enabled",
        "registration_source",
        "review",
    ]
    list_select_related = ["organization"]
    search_fields = ["name", "client_id"]
    ordering = ["organization__name", "name"]
    radio_fields = {"authorization_grant_type": admin.VERTICAL, "client_type": admin.HORIZONTAL}
    # Django 6 makes https the default scheme of a URL typed without one; opt in now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    view_on_site = False  # the base library's get_absolute_url names a view this app does not serve
    actions = ["rotate_secret", "suspend", "enable", "revoke_all_tokens", "approve", "block"]
    add_fieldsets: FieldsetSpec = [
        (
            None,
            {"fields": ["name", "organization", "authorization_grant_type", "client_type", "description"]},
        ),
        (_("Redirect URIs"), {"fields": ["redirect_uris"]}),
        (_("Allowed scopes"), {"fields": ["allowed_scopes"]}),
        BRANDING,
        ADVANCED,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "organization",
                    "application_type",
                    "client_type",
                    "enabled",
                    "description",
                ]
            },
        ),
        (_("Credentials"), {"fields": ["client_id", "client_secret_status", "last_used", "created"]}),
        (_("Redirect URIs"), {"fields": ["redirect_uris"]}),
        (_("Allowed scopes"), {"fields": ["allowed_scopes"]}),
        BRANDING,
        (
            _("Registration"),
            {
                "fields": ["registration_source", "review", "metadata_fetched", "metadata_error"],
                "description": _(
                    "How the application came to be. A client that registered itself (a client ID "
                    "metadata document, whose URL is its client ID, or dynamic registration) is "
                    "approved or blocked with the list's actions."
                ),
            },
        ),
        ADVANCED,
    ]
    # Fixed at creation: moving an application would move its tokens to another tenant, and
    # its type decides what it is (and whether it has a secret). Enabled changes by action.
    change_readonly_fields = [
        "organization",
        "application_type",
        "client_type",
        "enabled",
        "client_id",
        "client_secret_status",
        "last_used",
        "created",
        "algorithm",
        "registration_source",
        "review",
        "metadata_fetched",
        "metadata_error",
    ]

    class Media:
        css = {"all": ["perscom_oauth/admin/oauth_admin.css"]}
        js = ["perscom_oauth/admin/copy.js", "perscom_oauth/admin/select2_label.js"]

    # --- forms ----------------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Application | None = None) -> FieldsetSpec:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Application | None = None) -> list[str]:
        return [] if obj is None else self.change_readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Application | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Application]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]  # a class of its own (modelform_factory)
        return form

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        # Only with our own organization admin, whose search is narrowed to the organizations
        # the staff user administers. A host's admin of its own (swapped) model answers 403 to
        # an organization's admin, or lists every tenant once given its permission (issue 20):
        # then a plain select of the administered organizations (formfield_for_foreignkey).
        model = Application.organization.field.related_model
        searched = self.admin_site.get_model_admin(model) if self.admin_site.is_registered(model) else None
        return ["organization"] if isinstance(searched, OrganizationScopedAdmin) else []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)  # a form's initial values
        ids = administered(request)
        if ids is not None and len(ids) == 1:
            initial.setdefault("organization", next(iter(ids)))
        initial.setdefault("authorization_grant_type", Application.GRANT_AUTHORIZATION_CODE)
        initial.setdefault("client_type", Application.CLIENT_CONFIDENTIAL)
        initial.setdefault("allowed_scopes", "")
        return initial

    # --- list -----------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        active = (
            get_access_token_model()
            .objects.filter(application=OuterRef("pk"), expires__gt=timezone.now())
            .order_by()
            .values("application")
            .annotate(count=Count("pk"))
            .values("count")
        )
        applications: QuerySet[Application] = (
            super()
            .get_queryset(request)
            .annotate(active_token_count=Coalesce(Subquery(active, output_field=IntegerField()), Value(0)))
        )
        return applications

    @admin.display(description=_("type"), ordering="authorization_grant_type")
    def application_type(self, obj: Application) -> StrOrPromise:
        return application_type_label(obj)

    @admin.display(description=_("active tokens"), ordering="active_token_count")
    @admin.display(description=_("registration"), ordering="registration_source")
    def registration(self, obj: Application) -> str:
        """Blank for an application made here; else how it registered itself, and its review."""
        short = {
            Application.RegistrationSource.CIMD: _("Metadata document"),
            Application.RegistrationSource.DCR: _("Registered itself"),
        }.get(obj.registration_source)
        return f"{short}: {obj.get_review_display()}" if short else "-"

    def active_tokens(self, obj: Application) -> int:
        return getattr(obj, "active_token_count", 0)

    @admin.display(description=_("client secret"))
    def client_secret_status(self, obj: Application) -> StrOrPromise:
        if obj.client_type == Application.CLIENT_PUBLIC:
            return _("None: a public client proves itself with PKCE.")
        return _(
            "Stored hashed. It was shown once, when it was generated; if it is lost, rotate it "
            "(the old one stops working at once)."
        )

    # --- saving ---------------------------------------------------------------------------------

    def delete_model(self, request: HttpRequest, obj: Application) -> None:
        self.revoke_before_deletion(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self.revoke_before_deletion(request, queryset.select_related("organization"))
        super().delete_queryset(request, queryset)

    def revoke_before_deletion(self, request: HttpRequest, applications: Iterable[Application]) -> None:
        # Deleting would cascade to the tokens silently; revoking first leaves an audit trail.
        for application in applications:
            revoke_application(
                application, actor_type=Actor.ADMIN, actor=request.user, request=request, reason="deleted"
            )

    def get_deleted_objects(
        self, objs: Sequence[Application] | QuerySet[Application], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        # Tokens and codes cannot be deleted by hand, but go with their application.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        credentials = {str(model._meta.verbose_name) for model in CREDENTIAL_MODELS}
        return deleted, counts, {name for name in perms_needed if str(name) not in credentials}, protected

    # --- actions --------------------------------------------------------------------------------

    @admin.action(description=_("Rotate the client secret (shown once)"), permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Application]) -> HttpResponse | None:
        selected = list(queryset[:2])
        if len(selected) != 1:
            self.message_user(
                request, _("Select exactly one application to rotate its secret."), messages.ERROR
            )
            return None
        if selected[0].client_type != Application.CLIENT_CONFIDENTIAL:
            message = _("%(name)s is a public client: it has no secret.") % {"name": selected[0]}
            self.message_user(request, message, messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse("admin:perscom_oauth_application_rotate_secret", args=[selected[0].pk])
        )

    @admin.action(description=_("Suspend selected applications"), permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self.set_enabled(request, queryset, False)

    @admin.action(description=_("Enable selected applications"), permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self.set_enabled(request, queryset, True)

    def set_enabled(self, request: HttpRequest, queryset: QuerySet[Application], enabled: bool) -> None:
        changed = [app for app in queryset.select_related("organization") if app.enabled != enabled]
        for application in changed:
            domain.set_enabled(application, enabled, actor=request.user, request=request)
        if enabled:
            message = ngettext("Enabled %d application.", "Enabled %d applications.", len(changed))
        else:
            message = ngettext(
                "Suspended %d application: its tokens stop working until it is enabled again.",
                "Suspended %d applications: their tokens stop working until they are enabled again.",
                len(changed),
            )
        self.message_user(request, message % len(changed), messages.SUCCESS)

    @admin.action(
        description=_("Revoke all tokens and grants of selected applications"), permissions=["change"]
    )
    def revoke_all_tokens(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        results = [
            domain.revoke_all(application, actor=request.user, request=request)
            for application in queryset.select_related("organization")
        ]
        self.message_user(request, revoked_message(summed(results)), messages.SUCCESS)

    @admin.action(description=_("Approve selected clients"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        waiting = [
            app for app in queryset.select_related("organization") if app.review != app.Review.APPROVED
        ]
        for application in waiting:
            domain.approve(application, actor=request.user, request=request)
        message = ngettext("Approved %d client.", "Approved %d clients.", len(waiting))
        self.message_user(request, message % len(waiting), messages.SUCCESS)

    @admin.action(description=_("Block selected clients and revoke their tokens"), permissions=["change"])
    def block(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        results = [
            domain.block(application, actor=request.user, request=request)
            for application in queryset.select_related("organization")
        ]
        blocked = ngettext("Blocked %d client.", "Blocked %d clients.", len(results)) % len(results)
        self.message_user(request, f"{blocked} {revoked_message(summed(results))}", messages.SUCCESS)


# django-oauth-toolkit (listed first in INSTALLED_APPS) registered its own admin for the model.
replace_admin(admin.site, Application, ApplicationAdmin)
