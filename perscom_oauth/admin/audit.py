"""The audit trail: read-only, filterable, scoped to the organizations one administers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..models import AuditEvent
from .scoping import ReadOnlyAdmin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..models import Application


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
        "details_list",
    )
    readonly_fields = fields

    class Media:
        css = {"all": ["perscom_oauth/admin/oauth_admin.css"]}

    @admin.display(description=_("client"), ordering="client_id")
    def client(self, obj: AuditEvent) -> Application | str:
        return obj.application or obj.client_id or "-"

    @admin.display(description=_("details"))
    def details_list(self, obj: AuditEvent) -> StrOrPromise:
        """One line per detail ("scope: view:user"), readable by someone who never saw JSON."""
        if not obj.details:
            return _("No details recorded.")
        rows = format_html_join(
            "",
            "<dt>{}</dt><dd>{}</dd>",
            (
                (key.replace("_", " ").capitalize(), detail_text(value))
                for key, value in sorted(obj.details.items())
            ),
        )
        return format_html('<dl class="audit-details">{}</dl>', rows)


def detail_text(value: object) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list | tuple):
        return ", ".join(detail_text(item) for item in value) or "-"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {detail_text(item)}" for key, item in sorted(value.items())) or "-"
    return "-" if value in (None, "") else str(value)
