"""The consent form: django-oauth-toolkit's, plus one checkbox per requested scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from oauth2_provider.forms import AllowForm


class ApprovedScopesField(forms.MultipleChoiceField):
    def validate(self, value: Any) -> None:
        # Values outside the request are not an error to show the user: the view keeps only
        # requested, grantable scopes, so a tampered value simply grants nothing.
        pass


class ConsentForm(AllowForm):
    approved_scopes = ApprovedScopesField(
        label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        requested = (self.data.get("scope") if self.is_bound else self.initial.get("scope")) or ""
        self.fields["approved_scopes"].choices = [(name, name) for name in requested.split()]
