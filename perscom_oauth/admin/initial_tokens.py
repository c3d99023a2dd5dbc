"""Initial access tokens (RFC 7591 §3) in the admin: an organization administrator issues one
(label, lifetime, uses) for a client that is to register itself where the organization's
policy asks for one; the value is shown once, after saving, and never again (only its checksum
is stored). Listed with their uses left and expiry; deleted to withdraw one. Never edited.

The value waits in the user's session between the POST that issued it and the GET that shows
it (post/redirect/get, as an application's one-time secret: ``application_pages``), so a reload
never issues a second token.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from ..adapter import get_adapter
from ..models import InitialAccessToken
from ..registration import initial_tokens
from .scoping import OrganizationScopedAdmin

if TYPE_CHECKING:
    from django.urls import URLPattern

#: The lifetimes offered, in seconds.
LIFETIMES = [
    (3600, _("1 hour")),
    (24 * 3600, _("1 day")),
    (7 * 24 * 3600, _("7 days")),
    (30 * 24 * 3600, _("30 days")),
    (90 * 24 * 3600, _("90 days")),
]
VALUE_SESSION_KEY = "perscom_oauth_initial_access_token"
VALUE_WAITS = 300


class InitialAccessTokenForm(forms.ModelForm):
    lifetime = forms.TypedChoiceField(
        label=_("Lifetime"), choices=LIFETIMES, coerce=int, initial=7 * 24 * 3600
    )

    class Meta:
        model = InitialAccessToken
        fields = ["organization", "label", "uses_left"]
        labels = {"uses_left": _("Registrations allowed")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        uses = self.fields.get("uses_left")  # absent on the read-only page of an issued token
        if uses is not None:
            uses.widget.attrs["min"] = 1
            uses.help_text = _("Empty: any number until it expires.")

    def clean_uses_left(self) -> int | None:
        uses: int | None = self.cleaned_data.get("uses_left")
        if uses is not None and uses < 1:
            raise forms.ValidationError(_("At least one registration (or empty: any number)."))
        return uses


@admin.register(InitialAccessToken)
class InitialAccessTokenAdmin(OrganizationScopedAdmin):
    form = InitialAccessTokenForm
    list_display = [
        "label",
        "organization",
        "uses_left_display",
        "expires",
        "is_usable_display",
        "created",
        "created_by",
    ]
    list_filter = ["organization"]
    list_select_related = ["organization", "created_by"]
    search_fields = ["label"]
    readonly_fields = ["organization", "label", "uses_left", "expires", "created", "created_by"]

    def get_fields(self, request: HttpRequest, obj: InitialAccessToken | None = None) -> list[str]:  # type: ignore[override]  # a plain list of names
        if obj is None:
            return ["organization", "label", "lifetime", "uses_left"]
        return list(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: InitialAccessToken | None = None) -> list[str]:
        return list(self.readonly_fields) if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # withdraw one by deleting it; its value cannot change

    @admin.display(description=_("registrations left"))
    def uses_left_display(self, obj: InitialAccessToken) -> Any:
        return _("any number") if obj.uses_left is None else obj.uses_left

    @admin.display(description=_("usable"), boolean=True)
    def is_usable_display(self, obj: InitialAccessToken) -> bool:
        return initial_tokens.is_usable(obj)

    def save_model(self, request: HttpRequest, obj: InitialAccessToken, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied
        token, value = initial_tokens.issue_token(
            form.cleaned_data["organization"],
            label=form.cleaned_data["label"],
            lifetime=timedelta(seconds=form.cleaned_data["lifetime"]),
            uses=form.cleaned_data["uses_left"],
            created_by=request.user,
            request=request,
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        obj.one_time_value = value  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: InitialAccessToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        request.session[VALUE_SESSION_KEY] = {
            "token": obj.pk,
            "value": getattr(obj, "one_time_value", ""),
            "until": time.time() + VALUE_WAITS,
        }
        return HttpResponseRedirect(reverse("admin:perscom_oauth_initialaccesstoken_issued", args=[obj.pk]))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/issued/",
                wrap(self.issued_view),
                name="perscom_oauth_initialaccesstoken_issued",
            ),
            *super().get_urls(),
        ]

    def issued_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The value, popped from the session: shown by the first GET only."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404(_("No such initial access token."))
        changelist = reverse("admin:perscom_oauth_initialaccesstoken_changelist")
        waiting = request.session.get(VALUE_SESSION_KEY)
        if isinstance(waiting, dict) and waiting.get("token") == obj.pk:
            del request.session[VALUE_SESSION_KEY]
            if waiting.get("until", 0) >= time.time():
                context = {
                    **self.admin_site.each_context(request),
                    "title": _("Initial access token issued"),
                    "opts": self.opts,
                    "original": obj,
                    "value": waiting["value"],
                    "registration_url": registration_url(request, obj),
                    "changelist_url": changelist,
                }
                response = TemplateResponse(
                    request, "admin/perscom_oauth/initialaccesstoken/issued.html", context
                )
                response["Cache-Control"] = "no-store"
                return response
        messages.info(request, _("An initial access token is shown only once, right after it is issued."))
        return HttpResponseRedirect(changelist)


def registration_url(request: HttpRequest, token: InitialAccessToken) -> str:
    """Where a client registers with the token: the organization's registration endpoint."""
    hostname = get_adapter().primary_hostname(token.organization)
    try:
        endpoint = reverse("oauth2_provider:dcr-register")
    except NoReverseMatch:  # the host does not serve perscom_oauth.urls
        return ""
    return f"{request.scheme}://{hostname}{endpoint}" if hostname else endpoint
