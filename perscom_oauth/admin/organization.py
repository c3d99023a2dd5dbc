"""Organizations, their domains and memberships (the default organization model only).

A staff user who administers an organization may manage its members (roles, administrator
flag) but not its plan, slug or domains, nor add or delete organizations: those decide what
the organization pays for and which hosts it answers at.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ..admin_scope import administers
from ..models import Domain, Membership, Organization
from .scoping import OrganizationScopedAdmin


class SuperuserOnlyInline(admin.TabularInline):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return obj is not None and administers(request, obj.pk)


class DomainInline(SuperuserOnlyInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "roles", "is_admin"]
    raw_id_fields = ["user"]
    filter_horizontal = ["roles"]

    def _administers(self, request: HttpRequest, obj: Any) -> bool:
        # obj is the organization being edited (None on the add page, superusers only).
        return request.user.is_superuser or (obj is not None and administers(request, obj.pk))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._administers(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._administers(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._administers(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._administers(request, obj)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_lookup = "pk"
    list_display = ["name", "slug", "plan", "created"]
    list_filter = ["plan"]
    search_fields = ["name", "slug", "domains__hostname"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DomainInline, MembershipInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["slug", "plan"]

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return super().get_prepopulated_fields(request, obj) if request.user.is_superuser else {}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)
