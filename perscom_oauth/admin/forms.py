"""The application form of the admin, in PERSCOM's words.

The grant type is chosen by PERSCOM's client-type labels and fixed after creation, like the
organization and the client type; the secret is never a field (the server generates it,
``applications.create_application``). Which applications are valid is the model's to say
(``Application.clean()``: client type against grant type, redirect URIs, the plan); the form
shows its errors on their fields and audits a refusal for want of the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..adapter import get_adapter
from ..audit import Actor, Event, record
from ..models import ES256_NEEDS_KEYS, Application
from ..signing.keys import supported_algorithms
from .widgets import AllowedScopesField, UriListField

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise

    from ..typing import Organization


def https_urls(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


#: PERSCOM's names for the kinds of client, by the grant type each one uses.
APPLICATION_TYPES: list[tuple[str, StrOrPromise]] = [
    (Application.GRANT_AUTHORIZATION_CODE, _("Regular Web Application")),
    (Application.GRANT_IMPLICIT, _("Single Page Web Applications or Native Applications")),
    (Application.GRANT_CLIENT_CREDENTIALS, _("Machine-to-Machine")),
    (Application.GRANT_PASSWORD, _("Resource Owner")),
    # RFC 8628: a TV, a console or a command-line tool; the member approves on their phone.
    (Application.GRANT_DEVICE_CODE, _("Device (TV, console or command line)")),
]
APPLICATION_TYPE_LABELS = dict(APPLICATION_TYPES)


def is_browser_or_native(application: Application) -> bool:
    """A public client of the code flow (with PKCE) is what a single-page or native app is
    today (RFC 9700 §2.1.1); the implicit grant is its legacy form. Their type reads as one."""
    return bool(
        application.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
        and application.client_type == Application.CLIENT_PUBLIC
    )


def application_type_label(application: Application) -> StrOrPromise:
    grant = (
        Application.GRANT_IMPLICIT
        if is_browser_or_native(application)
        else application.authorization_grant_type
    )
    label: StrOrPromise = APPLICATION_TYPE_LABELS.get(
        grant, application.get_authorization_grant_type_display()
    )
    return label


def application_type_q(value: str) -> Q:
    """The applications ``application_type_label`` names by the type ``value`` (a grant of
    ``APPLICATION_TYPES``): the list's filter agrees with its column."""
    code, public = Application.GRANT_AUTHORIZATION_CODE, Application.CLIENT_PUBLIC
    browser_or_native = Q(authorization_grant_type=code, client_type=public)
    if value == Application.GRANT_IMPLICIT:
        return Q(authorization_grant_type=value) | browser_or_native
    if value == code:
        return Q(authorization_grant_type=code) & ~Q(client_type=public)
    return Q(authorization_grant_type=value)


#: The application's less common settings: the admin shows them folded ("Advanced").
ADVANCED_FIELDS = [
    "skip_authorization",
    "post_logout_redirect_uris",
    "allowed_origins",
    "access_token_lifetime",
    "id_token_lifetime",
    "refresh_token_idle_lifetime",
    "refresh_token_absolute_lifetime",
]


class ApplicationForm(forms.ModelForm):
    #: Set by ``ApplicationAdmin.get_form`` (a new form class per request) for the audit trail.
    request: HttpRequest | None = None

    redirect_uris = UriListField(
        label=_("Redirect URIs"),
        required=False,
        help_text=_("One per line. Required for Regular Web and Single Page applications."),
    )
    post_logout_redirect_uris = UriListField(
        label=_("Post-logout redirect URIs"), required=False, help_text=_("One per line (OpenID Connect).")
    )
    allowed_origins = UriListField(
        label=_("Allowed origins"), required=False, help_text=_("One per line, for CORS requests.")
    )
    allowed_scopes = AllowedScopesField(label=_("Allowed scopes"))

    class Meta:
        model = Application
        # Django 6 makes https the default scheme of a URL typed without one: opt in now (the
        # admin's own formfield_overrides do the same for the form it builds from this one).
        formfield_callback = https_urls
        fields = [
            "name",
            "organization",
            "authorization_grant_type",
            "client_type",
            "description",
            "redirect_uris",
            "allowed_scopes",
            *ADVANCED_FIELDS,
            "algorithm",
            "publisher",
            "client_uri",
            "logo_uri",
            "policy_uri",
            "tos_uri",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grant_type = self.fields.get("authorization_grant_type")
        if isinstance(grant_type, forms.ChoiceField):
            grant_type.label = _("Application type")
            grant_type.choices = APPLICATION_TYPES  # the admin's radio_fields render them
            grant_type.help_text = _("Cannot be changed after creation.")
        trusted = self.fields.get("skip_authorization")
        if trusted is not None:
            trusted.label = _("Trusted (first-party)")
            trusted.help_text = _(
                "Users are not asked for consent; they still sign in, and get only scopes they hold."
            )
        algorithm = self.fields.get("algorithm")
        if isinstance(algorithm, forms.ChoiceField):
            # Only what this server signs with (discovery's id_token_signing_alg_values_supported):
            # never HS256, whose key would be the client secret, stored hashed here.
            algorithm.label = _("ID token signing algorithm")
            supported = supported_algorithms()
            default = _("Default (RS256)") if supported else _("None: this server signs no ID tokens")
            algorithm.choices = [("", default)] + [(value, value) for value in supported]
            # What a caller that names a value (the command's option) is told.
            offered = ", ".join(supported) or _("none: this server signs no ID tokens")
            refusal = _("%%(value)s is not offered here (%(offered)s).") % {"offered": offered}
            needs_keys = "" if "ES256" in supported else f" {ES256_NEEDS_KEYS}"
            algorithm.error_messages["invalid_choice"] = f"{refusal}{needs_keys}"
            algorithm.help_text = _(
                "How ID tokens are signed, with the organization's published keys. "
                "Cannot be changed after creation."
            )
        client_type = self.fields.get("client_type")
        if client_type is not None:
            client_type.help_text = _(
                "Confidential clients get a secret, shown once. Public clients (browser and mobile "
                "apps) cannot keep one: they get none and must use PKCE."
            )

    def clean(self) -> dict[str, Any]:
        # The rules themselves are the model's (Application.clean(), run by _post_clean): the
        # command and applications.create_application apply the same ones. The form only
        # audits an attempt for an organization without the plan, as the endpoints do.
        cleaned = super().clean() or {}
        organization = cleaned.get("organization")
        if "organization" in self.fields and organization is not None:
            self.record_plan_refusal(organization)
        return cleaned

    def record_plan_refusal(self, organization: Organization) -> None:
        if get_adapter().has_oauth(organization):
            return
        request = self.request
        record(
            Event.PLAN_REFUSED,
            organization=organization,
            actor_type=Actor.ADMIN,
            actor=getattr(request, "user", None),
            request=request,
            endpoint="admin: create application",
        )
