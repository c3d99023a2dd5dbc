"""What our pages say, computed from what the views already pass them (see ``templatetags``).

The consent screen's account, redirect host, lifetime and permissions in plain words; the
sign-in page's "who asked"; "Authorized applications"' permissions. Kept out of the views so
that a host's own view, or a template override, gets the same wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qs, urlencode, urlparse

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oauth2_provider.models import get_application_model

from ..conf import oauth_settings
from ..http.posted import is_decision, protocol_parameters
from ..scopes.effective import grantable_scopes
from ..scopes.registry import IDENTITY, PROTOCOL_SCOPES, registry
from ..tenancy.hosts import organization_for_request

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.template import Context
    from django_stubs_ext import StrOrPromise

    from ..typing import AnyUser, Application, Organization

AUTHORIZE_PATH = "/oauth/authorize"
ACCOUNT = "account"  # the group of scopes that are no permission (openid, profile, email)


@dataclass
class Permission:
    name: str
    wording: StrOrPromise
    kind: str
    grantable: bool = True
    required: bool = False


@dataclass
class PermissionGroup:
    resource: str
    label: str
    permissions: list[Permission] = field(default_factory=list)


def human_duration(seconds: int) -> str:
    """30 days, 14 days, 1 hour, 5 minutes: the largest whole unit."""
    if seconds >= 86400:
        days = seconds // 86400
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds >= 3600:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    if seconds >= 60:
        minutes = seconds // 60
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


def human_time(moment: datetime) -> str:
    """A past moment as people say it: just now, 5 minutes ago, 2 days ago, on 28 Nov 2026."""
    seconds = int((timezone.now() - moment).total_seconds())
    if seconds < 60:
        return _("just now")
    if seconds < 7 * 86400:
        return _("%(duration)s ago") % {"duration": human_duration(seconds)}
    return _("on %(date)s") % {"date": date_format(timezone.localtime(moment), "DATE_FORMAT")}


def permission_groups(names: Iterable[str], grantable: set[str] | None = None) -> list[PermissionGroup]:
    """Scopes grouped by resource in request order, identity scopes first, in the registry's
    plain wording; ``grantable`` None means every one is (an app already holds them)."""
    scopes = registry()
    groups: dict[str, PermissionGroup] = {}
    for name in names:
        scope = scopes.get(name)
        if scope is None:
            continue
        identity = scope.kind == IDENTITY
        resource = ACCOUNT if identity else scope.resource
        label = _("Your account") if identity else str(scope.resource_label or scope.resource).capitalize()
        group = groups.setdefault(resource, PermissionGroup(resource, label))
        group.permissions.append(
            Permission(
                name=name,
                wording=scope.wording or scope.description,
                kind=scope.kind,
                grantable=grantable is None or name in grantable,
                required=name in PROTOCOL_SCOPES,
            )
        )
    return sorted(groups.values(), key=lambda group: group.resource != ACCOUNT)


def access_lifetime(application: Application) -> str:
    """How long the access lasts, as the consent screen says it."""
    grant = getattr(application, "authorization_grant_type", "")
    if grant == "implicit":
        from oauth2_provider.settings import oauth2_settings

        seconds = application.access_token_lifetime or oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
        return _("Access lasts %(duration)s, then the app must ask you again.") % {
            "duration": human_duration(seconds)
        }
    idle = application.refresh_token_idle_lifetime or oauth_settings.REFRESH_TOKEN_IDLE_SECONDS
    absolute = application.refresh_token_absolute_lifetime or oauth_settings.REFRESH_TOKEN_ABSOLUTE_SECONDS
    return _(
        "Access lasts until you revoke it, at most %(absolute)s, and ends sooner if the app "
        "goes unused for %(idle)s."
    ) % {"absolute": human_duration(absolute), "idle": human_duration(idle)}


def authorized_apps_url() -> str | None:
    try:
        return reverse("oauth2_provider:authorized-apps")
    except NoReverseMatch:
        return None


def switch_account_url(request: HttpRequest) -> str:
    """The sign-in page, back to this very page: signing in as someone else replaces the session.
    A request sent by POST (OIDC Core §3.1.2.1) comes back as the same request by GET."""
    here = request.get_full_path()
    if request.method == "POST" and not is_decision(request):
        here = f"{request.path}?{protocol_parameters(request).urlencode()}"
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': here})}"


class ConsentContext(TypedDict):
    """What ``consent_context`` adds to the consent screen's context."""

    account: AnyUser
    organization: Organization | None
    groups: list[PermissionGroup]
    offered: list[PermissionGroup]
    unavailable: list[Permission]
    some_unavailable: bool
    redirect_host: str
    lifetime: str
    authorized_apps_url: str | None
    switch_account_url: str


class SignInRequest(TypedDict):
    """Whom a sign-in is for (``sign_in_request``)."""

    organization: Organization | None
    application: Application | None


def consent_context(context: Context | Mapping[str, Any]) -> ConsentContext:
    """Everything the consent screen shows beyond the base view's context."""
    request = context["request"]
    application = context["application"]
    organization = context.get("organization") or organization_for_request(request)
    requested = list(context.get("scopes") or [])
    if "scope_groups" in context:  # the authorization view's own verdict (access.consent_groups)
        grantable = {
            s["name"] for group in context["scope_groups"] for s in group["scopes"] if s["grantable"]
        }
    else:
        grantable = set(grantable_scopes(request.user, organization, application, requested))
    redirect_uri = context.get("redirect_uri") or ""
    groups = permission_groups(requested, grantable)
    # What the app will get (each a choice, but for the protocol's own), apart from what it
    # asked for and cannot have: one heading must never cover both.
    offered = [
        PermissionGroup(g.resource, g.label, [p for p in g.permissions if p.grantable]) for g in groups
    ]
    unavailable = [p for g in groups for p in g.permissions if not p.grantable]
    return {
        "account": request.user,
        "organization": organization,
        "groups": groups,
        "offered": [group for group in offered if group.permissions],
        "unavailable": unavailable,
        "some_unavailable": bool(unavailable),
        "redirect_host": urlparse(redirect_uri).netloc or redirect_uri,
        "lifetime": access_lifetime(application),
        "authorized_apps_url": authorized_apps_url(),
        "switch_account_url": switch_account_url(request),
    }


def sign_in_request(request: HttpRequest, next_url: str) -> SignInRequest:
    """Which organization, and which of its applications, a sign-in is for (from ``next``)."""
    organization = organization_for_request(request)
    parsed = urlparse(next_url or "")
    application = None
    if organization is not None and parsed.path.rstrip("/") == AUTHORIZE_PATH:
        client_id = parse_qs(parsed.query).get("client_id", [""])[0][:100]
        if client_id:
            # Only an application of this host's organization: never name another tenant's.
            application = (
                get_application_model()
                .objects.filter(organization=organization, client_id=client_id, enabled=True)
                .first()
            )
    return {"organization": organization, "application": application}
