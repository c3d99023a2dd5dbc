"""The application admin's own pages: the one-time secret (at creation and rotation), the
"Endpoints" panel and the action buttons of the change page.

A secret is shown by a GET that follows the POST which made it (post/redirect/get): reloading
that page must neither create a second application nor rotate again (issue 20). Between the two
requests it waits in the user's session, popped by the GET that shows it and dropped after
``SECRET_WAITS`` even if that GET never comes; never in a message, a log or the admin's history.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.request import split_domain_port
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .. import applications as domain
from ..adapter import get_adapter
from ..models import Application
from .authorizations import AuthorizationsView

if TYPE_CHECKING:
    from django import forms
    from django.urls import URLPattern
    from django_stubs_ext import StrOrPromise

    from ..typing import Organization

#: The "Endpoints" panel: (label, URL name in the ``oauth2_provider`` namespace).
ENDPOINTS = [
    (_("Authorize"), "authorize"),
    (_("Token"), "token"),
    (_("Revoke"), "revoke-token"),
    (_("Introspect"), "introspect"),
    (_("User info"), "user-info"),
    (_("OpenID Connect discovery"), "oidc-connect-discovery-info"),
    (_("Authorization server metadata"), "oauth-server-metadata"),
    (_("JSON Web Key Set"), "jwks-info"),
]


#: The session key of a secret between its POST and the GET that shows it, and how long it may
#: wait there (seconds): the redirect is followed at once.
SECRET_SESSION_KEY = "perscom_oauth_one_time_secret"
SECRET_WAITS = 300

#: The secret page's titles, by what made the secret.
SECRET_TITLES = {"created": _("Application created"), "rotated": _("Client secret rotated")}


def endpoint_urls(request: HttpRequest, organization: Organization) -> list[tuple[StrOrPromise, str]]:
    """The organization's endpoints as its clients see them: on its primary host, with this
    request's scheme (and port, when the admin is served on a non-default one: development)."""
    hostname = get_adapter().primary_hostname(organization)
    base = ""
    if hostname is not None:
        _host, port = split_domain_port(request.get_host())
        base = f"{request.scheme}://{hostname}{f':{port}' if port else ''}"
    urls: list[tuple[StrOrPromise, str]] = []
    for label, name in ENDPOINTS:
        try:
            urls.append((label, base + reverse(f"oauth2_provider:{name}")))
        except NoReverseMatch:
            continue  # an endpoint this installation does not serve
    return urls


class ApplicationPages(admin.ModelAdmin):
    """Mixed into ``ApplicationAdmin``: creation and rotation show the secret once; the change
    page shows the endpoints and runs actions on its application."""

    def save_model(
        self, request: HttpRequest, obj: Application, form: forms.ModelForm[Application], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # The secret exists in plain text only here, and in the response that shows it.
        obj.one_time_secret = domain.create_application(obj, actor=request.user, request=request)

    def response_add(
        self, request: HttpRequest, obj: Application, post_url_continue: str | None = None
    ) -> HttpResponse:
        secret = getattr(obj, "one_time_secret", None)
        if not secret:
            return super().response_add(request, obj, post_url_continue)
        obj.one_time_secret = None
        return self.redirect_to_secret(request, obj, secret, "created")

    def redirect_to_secret(
        self, request: HttpRequest, obj: Application, secret: str, made: str
    ) -> HttpResponse:
        """Hand the secret to the GET that shows it: a reload of that page repeats the GET, never
        the POST that created the application or rotated its secret."""
        request.session[SECRET_SESSION_KEY] = {
            "application": obj.pk,
            "secret": secret,
            "made": made,
            "until": time.time() + SECRET_WAITS,
        }
        return HttpResponseRedirect(reverse("admin:perscom_oauth_application_secret", args=[obj.pk]))

    def secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The one-time secret, popped from the session: shown by the first GET only; a reload
        (or a secret left waiting too long) lands on the change page with a word why."""
        obj = self.get_scoped_object(request, object_id, "view")
        waiting = request.session.get(SECRET_SESSION_KEY)
        if isinstance(waiting, dict) and waiting.get("application") == obj.pk:
            del request.session[SECRET_SESSION_KEY]
            if waiting.get("until", 0) >= time.time():
                title = SECRET_TITLES.get(waiting.get("made", ""), SECRET_TITLES["created"])
                return self.secret_response(request, obj, waiting["secret"], title)
        messages.info(
            request,
            _(
                "The client secret is shown only once, right after it is made. If it was not "
                "stored, rotate it to get a new one."
            ),
        )
        return HttpResponseRedirect(reverse("admin:perscom_oauth_application_change", args=[obj.pk]))

    def secret_response(
        self, request: HttpRequest, obj: Application, secret: str, title: StrOrPromise
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "original": obj,
            "client_secret": secret,
            "change_url": reverse("admin:perscom_oauth_application_change", args=[obj.pk]),
        }
        response = TemplateResponse(request, "admin/perscom_oauth/application/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if obj is not None and self.has_view_or_change_permission(request, obj):
            extra_context["endpoints"] = endpoint_urls(request, obj.organization)
            extra_context["object_actions"] = self.object_actions(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def object_actions(self, request: HttpRequest, obj: Application) -> list[tuple[str, StrOrPromise]]:
        """The buttons of the change page: (action name, label), those this user may run."""
        available = self.get_actions(request)
        wanted = ["suspend" if obj.enabled else "enable", "revoke_all_tokens"]
        if obj.client_type == Application.CLIENT_CONFIDENTIAL:
            wanted.insert(0, "rotate_secret")
        labels = {
            "rotate_secret": _("Rotate secret"),
            "suspend": _("Suspend"),
            "enable": _("Enable"),
            "revoke_all_tokens": _("Revoke all tokens"),
        }
        return [(name, labels[name]) for name in wanted if name in available]

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "authorizations/",
                wrap(AuthorizationsView.as_view(model_admin=self)),
                name=f"{prefix}_authorizations",
            ),
            path(
                "<path:object_id>/secret/",
                wrap(self.secret_view),
                name=f"{prefix}_secret",
            ),
            path(
                "<path:object_id>/rotate-secret/",
                wrap(self.rotate_secret_view),
                name=f"{prefix}_rotate_secret",
            ),
            path(
                "<path:object_id>/run/<str:action>/",
                wrap(require_POST(self.object_action_view)),
                name=f"{prefix}_object_action",
            ),
            *super().get_urls(),
        ]

    def get_scoped_object(
        self, request: HttpRequest, object_id: str, permission: str = "change"
    ) -> Application:
        obj: Application | None = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("No such application."))
        if not getattr(self, f"has_{permission}_permission")(request, obj):
            raise PermissionDenied
        return obj

    def rotate_secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_scoped_object(request, object_id)
        if obj.client_type != Application.CLIENT_CONFIDENTIAL:
            raise Http404(_("A public client has no secret."))
        if request.method == "POST":
            secret = domain.rotate_secret(obj, actor=request.user, request=request)
            return self.redirect_to_secret(request, obj, secret, "rotated")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rotate the client secret?"),
            "opts": self.opts,
            "original": obj,
            "change_url": reverse("admin:perscom_oauth_application_change", args=[obj.pk]),
        }
        return TemplateResponse(request, "admin/perscom_oauth/application/rotate_secret.html", context)

    def object_action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """Run one of the list's actions on this application (the change page's buttons)."""
        obj = self.get_scoped_object(request, object_id, "view")
        if action not in dict(self.object_actions(request, obj)):
            raise PermissionDenied
        func = self.get_actions(request)[action][0]  # type: ignore[index]  # present: checked above
        response = func(self, request, self.get_queryset(request).filter(pk=obj.pk))
        if isinstance(response, HttpResponse):
            return response
        return HttpResponseRedirect(reverse("admin:perscom_oauth_application_change", args=[obj.pk]))
