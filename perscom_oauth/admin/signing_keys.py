"""Each organization's ID-token signing keys and where they are in their life: read-only.

Keys are created and retired by ``manage.py rotate_signing_keys`` (and an organization's first
ones on demand); the admin only shows them. The private key never appears, not even encrypted.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import SigningKey
from ..signing.models import State, state_q
from .scoping import ReadOnlyAdmin


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Model]) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in State.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Model]) -> QuerySet[Model]:
        value = self.value()
        if value not in State.values:
            return queryset
        return queryset.filter(state_q(str(value), timezone.now()))


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = [
        "kid",
        "organization",
        "algorithm",
        "state",
        "published_at",
        "active_from",
        "superseded_at",
        "retired_at",
    ]
    list_filter = [StateFilter, "algorithm", ("organization", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["kid"]
    # Never private_key: not even its ciphertext is shown.
    fields = (
        "kid",
        "organization",
        "algorithm",
        "state",
        "created",
        "published_at",
        "active_from",
        "superseded_at",
        "retired_at",
        "public_jwk",
    )
    readonly_fields = fields

    @admin.display(description=_("state"))
    def state(self, obj: SigningKey) -> str:
        return str(obj.state(timezone.now()).label)
