"""The audit trail: read-only, filterable, scoped to the organizations one administers."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import AuditEvent
from .scoping import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created",
        "event",
        "organization",
        "actor_type",
        "actor",
        "client",
        "subject",
        "ip_address",
    ]
    list_filter = [
        "event",
        "actor_type",
        ("organization", admin.RelatedOnlyFieldListFilter),
        ("application", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["organization", "actor", "application"]
    search_fields = ["client_id", "subject", f"actor__{get_user_model().USERNAME_FIELD}"]
    date_hierarchy = "created"
    fields = (
        "created",
        "event",
        "organization",
        "actor_type",
        "actor",
        "application",
        "client_id",
        "subject",
        "ip_address",
        "details_json",
    )
    readonly_fields = fields

    @admin.display(description=_("client"), ordering="client_id")
    def client(self, obj: AuditEvent) -> Any:
        return obj.application or obj.client_id or "-"

    @admin.display(description=_("details"))
    def details_json(self, obj: AuditEvent) -> Any:
        return format_html("<pre>{}</pre>", json.dumps(obj.details, indent=2, sort_keys=True, default=str))
