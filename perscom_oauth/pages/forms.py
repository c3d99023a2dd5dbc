"""The consent form: django-oauth-toolkit's, plus one checkbox per requested scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from oauth2_provider.forms import AllowForm

from ..scopes.registry import PROTOCOL_SCOPES


class ApprovedScopesField(forms.MultipleChoiceField):
    def validate(self, value: object) -> None:
        # Values outside the request are not an error to show the user: the view keeps only
        # requested, grantable scopes, so a tampered value simply grants nothing.
        pass


class ConsentForm(AllowForm):
    approved_scopes = ApprovedScopesField(
        label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approved_scopes"].choices = [(name, name) for name in self.requested_scopes()]

    def requested_scopes(self) -> list[str]:
        requested = (self.data.get("scope") if self.is_bound else self.initial.get("scope")) or ""
        return requested.split()

    def clean_approved_scopes(self) -> list[str]:
        """The user may narrow permissions (RFC 6749 §3.3), never the scopes the protocol needs:
        a client that asked for ``openid`` gets its ID token (OIDC Core §3.1.2.1), whatever a
        form without that box says. The consent screen shows them ticked and fixed."""
        approved = list(self.cleaned_data.get("approved_scopes") or [])
        required = [name for name in self.requested_scopes() if name in PROTOCOL_SCOPES]
        return approved + [name for name in required if name not in approved]
