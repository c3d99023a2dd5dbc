"""Organization-scoped staff: every model admin here sees and changes only what belongs to the
organizations the signed-in staff user administers (``perscom_oauth.admin.administered``).

Superusers keep Django's behaviour. For everyone else the organization is the permission:
administering an organization grants view/change on its OAuth objects, and nothing grants
more. Querysets are narrowed in ``get_queryset``, which Django's admin uses for the change
list, change/delete/history pages, actions and autocomplete alike, so an object of another
organization is simply not found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from .administered import administered, administers, administers_any
from .lists import StaleListAdmin


class OrganizationScopedAdmin(StaleListAdmin):
    #: Lookup from the model to its organization's primary key, e.g. ``"application__organization"``.
    organization_lookup = "organization"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Model]:
        queryset = super().get_queryset(request)
        ids = administered(request)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.organization_lookup}__in": ids})

    def organization_id_of(self, obj: Model) -> int | None:
        *path, last = self.organization_lookup.split("__")
        target: Any = obj  # walked by attribute name
        for name in path:
            target = getattr(target, name, None)
            if target is None:
                return None
        organization_id: int | None = target.pk if last == "pk" else getattr(target, f"{last}_id", None)
        return organization_id

    def in_scope(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return administers_any(request)
        return administers(request, self.organization_id_of(obj))

    def _allowed(
        self,
        request: HttpRequest,
        obj: Model | None,
        django_check: Callable[[HttpRequest, Model | None], bool],
    ) -> bool:
        if request.user.is_superuser:
            return bool(django_check(request, obj))
        return self.in_scope(request, obj)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        """An ``organization`` to choose is one of those the staff user administers."""
        if db_field.name == "organization":
            ids = administered(request)
            organizations = db_field.related_model._default_manager.all()
            kwargs["queryset"] = organizations if ids is None else organizations.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return (
            bool(super().has_module_permission(request))
            if request.user.is_superuser
            else administers_any(request)
        )

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj, super().has_view_permission)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj, super().has_change_permission)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(
            request, None, lambda r, _obj: super(OrganizationScopedAdmin, self).has_add_permission(r)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj, super().has_delete_permission)


class NoWrites:
    """An admin whose rows are never added, edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(NoWrites, OrganizationScopedAdmin):
    """Rows written by the OAuth flows only: listed and viewed, never added, edited or deleted
    by hand (revoking goes through an action that calls ``tokens.revocation.revoke``)."""

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """For ``@admin.action(permissions=["revoke"])``: whoever may see the rows may revoke them."""
        return self.has_view_permission(request)


def replace_admin(site: admin.AdminSite, model: type[Model], model_admin: type[admin.ModelAdmin]) -> None:
    """Register ``model_admin`` in place of another app's (django-oauth-toolkit's own)."""
    if site.is_registered(model):
        site.unregister(model)
    site.register(model, model_admin)
