"""Access tokens, refresh tokens, authorization codes and ID tokens: lists with masked values,
status and organization filters, and a revoke action through ``tokens.revocation.revoke``.

They are written by the OAuth flows only: no add, edit or delete by hand. Replaces
django-oauth-toolkit's own admins for these models, which revoke through another path and see
every organization.

Revoked access tokens and codes are deleted at once (RFC 7009 §2.1), so only refresh tokens
have a "revoked" state: they are kept, revoked, to detect reuse (RFC 9700 §4.14.2) until
``cleanup_oauth`` purges them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.admin import mask_credential
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from ..audit import Actor
from ..tokens import refresh_expiry
from ..tokens.revocation import Revoked, revoke
from .scoping import ReadOnlyAdmin, replace_admin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..models import Application
    from ..typing import Credential, Organization, RefreshToken, RefreshTokenModel

USER_SEARCH = f"user__{get_user_model().USERNAME_FIELD}"
ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"
STATUS_LABELS = {ACTIVE: _("Active"), EXPIRED: _("Expired"), REVOKED: _("Revoked")}


def revoked_message(result: Revoked) -> str:
    return str(
        _("Revoked %(access)d access tokens, %(refresh)d refresh tokens and %(codes)d authorization codes.")
        % {"access": result.access_tokens, "refresh": result.refresh_tokens, "codes": result.codes}
    )


def summed(results: list[Revoked]) -> Revoked:
    return Revoked(
        sum(r.access_tokens for r in results),
        sum(r.refresh_tokens for r in results),
        sum(r.codes for r in results),
    )


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"
    statuses = [ACTIVE, EXPIRED]

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Credential]
    ) -> list[tuple[str, StrOrPromise]]:
        return [(status, STATUS_LABELS[status]) for status in self.statuses]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Credential]) -> QuerySet[Credential]:
        now = timezone.now()
        if self.value() == ACTIVE:
            return queryset.filter(expires__gt=now)
        if self.value() == EXPIRED:
            return queryset.filter(expires__lte=now)
        return queryset


class RefreshTokenStatusFilter(StatusFilter):
    statuses = [ACTIVE, EXPIRED, REVOKED]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Credential]) -> QuerySet[Credential]:
        expired = refresh_expiry.expired(timezone.now())  # get_queryset has the family start
        if self.value() == ACTIVE:
            return queryset.filter(revoked__isnull=True).exclude(expired)
        if self.value() == EXPIRED:
            return queryset.filter(expired)
        if self.value() == REVOKED:
            return queryset.filter(revoked__isnull=False)
        return queryset


def masked(obj: Credential, field: str) -> str:
    """The stored value masked (django-oauth-toolkit's rule); tokens stored only as a
    checksum (RFC 9700 §4.14) show the checksum's tail, enough to tell rows apart."""
    value = getattr(obj, field, "")
    if value:
        return str(mask_credential(value))
    checksum = getattr(obj, "token_checksum", "")
    return f"sha256 …{checksum[-6:]}" if checksum else "…"


class CredentialAdmin(ReadOnlyAdmin):
    organization_lookup = "application__organization"
    list_select_related = ["application__organization", "user"]
    list_filter = [
        StatusFilter,
        ("application__organization", admin.RelatedOnlyFieldListFilter),
        ("application", admin.RelatedOnlyFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
    ]
    # Non-secret identifiers only: never the credential itself (it would land in ?q= and logs).
    search_fields = ["application__client_id", "application__name", USER_SEARCH]
    date_hierarchy = "created"
    actions = ["revoke_selected"]
    #: Which argument of ``tokens.revocation.revoke`` the selected rows are.
    revoke_as = "access_tokens"

    @admin.display(description=_("organization"), ordering="application__organization__name")
    def organization(self, obj: Credential) -> Organization | None:
        return obj.application.organization if obj.application else None

    @admin.display(description=_("status"))
    def status(self, obj: Credential) -> StrOrPromise:
        return STATUS_LABELS[EXPIRED if obj.is_expired() else ACTIVE]

    @admin.action(description=_("Revoke selected"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        # One revocation (and one audit event) per application of the selection.
        by_application: dict[int | None, list[int]] = defaultdict(list)
        applications: dict[int | None, Application | None] = {}
        for pk, application in ((row.pk, row.application) for row in queryset):
            key = application.pk if application else None
            by_application[key].append(pk)
            applications[key] = application
        results = []
        for key, pks in by_application.items():
            application = applications[key]
            result = revoke(
                organization=application.organization if application else None,
                **{self.revoke_as: self.model._default_manager.filter(pk__in=pks)},
                actor_type=Actor.ADMIN,
                actor=request.user,
                application=application,
                request=request,
                reason="admin",
            )
            results.append(result)
        self.message_user(request, revoked_message(summed(results)), messages.SUCCESS)


def columns(masked_field: str) -> tuple[str, ...]:
    """The list columns of a credential that expires (access tokens, codes)."""
    return (masked_field, "user", "application", "organization", "scope", "created", "expires", "status")


class AccessTokenAdmin(CredentialAdmin):
    list_display = columns("masked_token")
    fields = (
        "masked_token",
        "user",
        "application",
        "scope",
        "created",
        "expires",
        "source_refresh_token",
    )
    readonly_fields = fields

    @admin.display(description=_("token"))
    def masked_token(self, obj: Credential) -> str:
        return masked(obj, "token")


class RefreshTokenAdmin(CredentialAdmin):
    list_display = ["masked_token", "user", "application", "organization", "created", "revoked", "status"]
    list_filter = [RefreshTokenStatusFilter, *CredentialAdmin.list_filter[1:]]
    fields = (
        "masked_token",
        "user",
        "application",
        "access_token",
        "token_family",
        "created",
        "revoked",
    )
    readonly_fields = fields
    list_select_related = [*CredentialAdmin.list_select_related, "access_token"]
    revoke_as = "refresh_tokens"

    @admin.display(description=_("token"))
    def masked_token(self, obj: Credential) -> str:
        return masked(obj, "token")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RefreshTokenModel]:
        return refresh_expiry.with_family_start(super().get_queryset(request))

    @admin.display(description=_("status"))
    def status(self, obj: RefreshToken) -> StrOrPromise:
        if obj.revoked is not None:
            return STATUS_LABELS[REVOKED]
        started = getattr(obj, refresh_expiry.FAMILY_STARTED, None) or obj.created
        expired = refresh_expiry.is_expired(obj, started, timezone.now())
        return STATUS_LABELS[EXPIRED if expired else ACTIVE]


class GrantAdmin(CredentialAdmin):
    list_display = columns("masked_code")
    fields = (
        "masked_code",
        "user",
        "application",
        "scope",
        "redirect_uri",
        "code_challenge_method",
        "created",
        "expires",
    )
    readonly_fields = fields
    revoke_as = "codes"

    @admin.display(description=_("code"))
    def masked_code(self, obj: Credential) -> str:
        return masked(obj, "code")


class IDTokenAdmin(CredentialAdmin):
    """OpenID Connect ID tokens: listed for reference; they grant no API access to revoke."""

    list_display = ["jti", "user", "application", "organization", "created", "expires", "status"]
    fields = ("jti", "user", "application", "scope", "created", "expires")
    readonly_fields = fields
    actions = []


# django-oauth-toolkit (listed first in INSTALLED_APPS) registered its own admins for these.
for _model, _model_admin in (
    (get_access_token_model(), AccessTokenAdmin),
    (get_refresh_token_model(), RefreshTokenAdmin),
    (get_grant_model(), GrantAdmin),
    (get_id_token_model(), IDTokenAdmin),
):
    replace_admin(admin.site, _model, _model_admin)
