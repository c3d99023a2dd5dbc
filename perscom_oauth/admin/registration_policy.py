"""Each organization's registration policy: whether clients may identify themselves by a
client ID metadata document or register dynamically, and the most they may ask for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from ..models import RegistrationPolicy
from .scoping import OrganizationScopedAdmin

if TYPE_CHECKING:
    from ..typing import FieldNames


@admin.register(RegistrationPolicy)
class RegistrationPolicyAdmin(OrganizationScopedAdmin):
    list_display = ["organization", "metadata_documents", "dynamic_registration", "allowed_scopes"]
    list_filter = ["metadata_documents", "dynamic_registration"]
    list_select_related = ["organization"]
    radio_fields = {"metadata_documents": admin.VERTICAL, "dynamic_registration": admin.VERTICAL}
    fieldsets = [
        (None, {"fields": ["organization"]}),
        (
            "Client ID metadata documents",
            {
                "fields": ["metadata_documents", "metadata_document_domains"],
                "description": (
                    "A client whose client ID is an https URL: the server reads what it is from "
                    "the document at that URL. Such clients are public and use PKCE."
                ),
            },
        ),
        ("Dynamic client registration", {"fields": ["dynamic_registration"]}),
        ("Limits", {"fields": ["allowed_scopes"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: RegistrationPolicy | None = None) -> FieldNames:
        return ["organization"] if obj is not None else []
