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
        "key_id",
        "organization",
        "alg",
        "state",
        "published_at",
        "active_from",
    ]  # whether it stopped signing or was retired: the state says; when: its page
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

    class Media:
        css = {"all": ["perscom_oauth/admin/oauth_admin.css"]}  # breadcrumbs axe can tell apart

    # A thumbprint is 43 characters: its start tells keys apart and keeps the list within a
    # 1400 px screen (the change page and the search show it whole).
    @admin.display(description=_("key ID"), ordering="kid")
    def key_id(self, obj: SigningKey) -> str:
        return f"{obj.kid[:12]}…"

    @admin.display(description=_("algorithm"), ordering="algorithm")
    def alg(self, obj: SigningKey) -> str:
        return obj.algorithm  # RS256, ES256: what a relying party's JWKS shows

    @admin.display(description=_("state"))
    def state(self, obj: SigningKey) -> str:
        return str(obj.state(timezone.now()).label)
