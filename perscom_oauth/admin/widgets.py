"""The allowed-scopes picker: every scope, grouped by resource, with "all scopes" and a
select-all and a filter per group (usable with 140+ scopes; plain checkboxes without JS)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..scopes.registry import ALL_SCOPES, registry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def scope_choices() -> list[tuple[str, StrOrPromise | list[tuple[str, str]]]]:
    """``("*", "All scopes")`` then one group per resource: ``(resource, [(scope, label)])``."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for scope in registry().values():
        groups.setdefault(scope.resource, []).append((scope.name, f"{scope.name} — {scope.description}"))
    return [
        (ALL_SCOPES, _("All scopes, including scopes added later")),
        *((resource, options) for resource, options in sorted(groups.items())),
    ]


class ScopePickerWidget(forms.CheckboxSelectMultiple):
    template_name = "perscom_oauth/widgets/scope_picker.html"

    class Media:
        css = {"all": ["perscom_oauth/admin/oauth_admin.css"]}
        js = ["perscom_oauth/admin/scope_picker.js"]

    def format_value(self, value: object) -> list[str]:
        if isinstance(value, str):
            value = value.split()
        return super().format_value(value)


class AllowedScopesField(forms.MultipleChoiceField):
    """Cleans to the model's text form: ``"*"`` or the chosen scopes, space-separated."""

    widget = ScopePickerWidget
    default_error_messages = {
        "required": _('Choose the scopes this application may request, or "All scopes".'),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=scope_choices, **kwargs)

    def prepare_value(self, value: object) -> object:
        return value.split() if isinstance(value, str) else value

    def clean(self, value: object) -> str:
        chosen = super().clean(value)
        if ALL_SCOPES in chosen:
            return ALL_SCOPES
        order = {name: index for index, name in enumerate(registry())}
        return " ".join(sorted(set(chosen), key=lambda name: order.get(name, len(order))))

    def has_changed(self, initial: Any, data: Any) -> bool:
        before = set(initial.split() if isinstance(initial, str) else initial or [])
        after = set(data or [])
        if ALL_SCOPES in after:
            after = {ALL_SCOPES}
        return before != after


class UriListField(forms.CharField):
    """Several URIs, one per line in the form, space-separated in the model (the base
    library's format)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 80, "spellcheck": "false"})

    def prepare_value(self, value: object) -> object:
        return "\n".join(value.split()) if isinstance(value, str) else value

    def to_python(self, value: object) -> str:
        return " ".join(str(super().to_python(value)).split())

    def has_changed(self, initial: Any, data: Any) -> bool:
        return " ".join((initial or "").split()) != self.to_python(data)
