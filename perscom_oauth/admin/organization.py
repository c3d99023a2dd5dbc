"""Organizations, their domains and memberships (the default organization model only).

A staff user who administers an organization may manage its members (roles, administrator
flag) but not its plan, slug or domains, nor add or delete organizations: those decide what
the organization pays for and which hosts it answers at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from ..models import Domain, Membership, Organization
from .administered import administered, administers, administers_any
from .scoping import OrganizationScopedAdmin

if TYPE_CHECKING:
    from ..typing import FieldNames


class OrganizationPartInline(admin.TabularInline):
    """Rows of the organization being edited (``organization`` foreign key), seen by whoever
    administers it; ``obj`` in the permission checks is that organization.

    Django also asks without it: ``InlineModelAdmin.get_queryset(request)``, which
    ``get_formset_kwargs`` uses for the formset's rows, calls
    ``has_view_or_change_permission(request)`` with no object and returns ``.none()`` when
    refused. Refusing there emptied the inlines of every organization admin. So view without
    an object answers "administers some organization" (like ``OrganizationScopedAdmin.in_scope``)
    and ``get_queryset`` narrows the rows to those organizations; the formset then keeps the
    rows of the organization edited.
    """

    def administers(self, request: HttpRequest, obj: Organization | None) -> bool:
        # obj is None on the add page (superusers only) and in get_queryset (see above).
        return request.user.is_superuser or (obj is not None and administers(request, obj.pk))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Domain | Membership]:
        queryset = super().get_queryset(request)
        ids = administered(request)
        return queryset if ids is None else queryset.filter(organization__in=ids)

    def has_view_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        if obj is None:  # get_queryset's question (see above): may they see any organization's rows?
            return request.user.is_superuser or administers_any(request)
        return self.administers(request, obj)


class DomainInline(OrganizationPartInline):
    """Viewed by the organization's admins; the hosts it answers at are the superusers' to change."""

    model = Domain
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class MembershipInline(OrganizationPartInline):
    """Members, their roles and administrator flag: managed by the organization's admins."""

    model = Membership
    extra = 0
    fields = ["user", "roles", "is_admin"]
    raw_id_fields = ["user"]
    filter_horizontal = ["roles"]

    def has_add_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return self.administers(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return self.administers(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return self.administers(request, obj)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_lookup = "pk"
    list_display = ["name", "slug", "plan", "created"]
    list_filter = ["plan"]
    search_fields = ["name", "slug", "domains__hostname"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DomainInline, MembershipInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Organization | None = None) -> FieldNames:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["slug", "plan"]

    def get_prepopulated_fields(
        self, request: HttpRequest, obj: Organization | None = None
    ) -> dict[str, Sequence[str]]:
        return super().get_prepopulated_fields(request, obj) if request.user.is_superuser else {}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)
