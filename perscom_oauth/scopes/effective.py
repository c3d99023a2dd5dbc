"""What a user, an application and a token may do right now, in scopes.

A token never exceeds its user: its effective scopes are recomputed on every request as
(scopes granted) ∩ (scopes the application may use) ∩ (scopes the user holds now). Scopes
that are no permission (``openid``, ...) are held by every member.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

from ..adapter import get_adapter
from ..conf import oauth_settings
from .registry import allowed_scope_names, registry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..typing import AccessToken, Application, Organization, User


class ConsentScope(TypedDict):
    """A scope on the consent screen."""

    name: str
    description: StrOrPromise
    grantable: bool


class ConsentGroup(TypedDict):
    """The consent screen's scopes of one resource."""

    resource: str
    scopes: list[ConsentScope]


def member_scopes(user: User | None, organization: Organization | None) -> set[str] | None:
    """The scopes the user holds in this organization, or None when the user is not an active
    member (or superuser) there. Scopes that are no permission (``openid``, ``profile``) are
    held by members only: a removed member keeps no identity either."""
    if user is None or organization is None:
        return None
    adapter = get_adapter()
    permissions = adapter.member_permissions(user, organization)
    if permissions is None:
        return None
    scopes = registry()
    if user.is_superuser and adapter.delegates_superuser(user, organization):
        return set(scopes)
    return {
        name for name, scope in scopes.items() if scope.permission is None or scope.permission in permissions
    }


def held_scopes(user: User | None, organization: Organization | None) -> set[str]:
    """The scopes the user holds in this organization (none for a non-member)."""
    return member_scopes(user, organization) or set()


def grantable_scopes(
    user: User | None, organization: Organization | None, application: Application, requested: Iterable[str]
) -> list[str]:
    """The requested scopes this user may grant this application, in request order."""
    allowed = allowed_scope_names(application) & held_scopes(user, organization)
    return [name for name in requested if name in allowed]


def token_scopes(token: AccessToken, held: set[str] | None) -> frozenset[str]:
    """What an access token allows now: granted ∩ still allowed to the application ∩ ``held``
    by its user. Machine-to-machine tokens (no user, ``held`` None) are bounded by the
    application's allowed scopes alone."""
    granted = set(token.scope.split()) & allowed_scope_names(token.application)
    return frozenset(granted if token.user_id is None else granted & (held or set()))


def consent_groups(
    user: User | None, organization: Organization | None, application: Application, requested: Iterable[str]
) -> list[ConsentGroup]:
    """The requested scopes for the consent screen, grouped by resource, each marked grantable
    or not (the user lacks the permission)."""
    grantable = set(grantable_scopes(user, organization, application, requested))
    scopes = registry()
    groups: dict[str, list[ConsentScope]] = {}
    for name in requested:
        scope = scopes[name]
        groups.setdefault(scope.resource, []).append(
            {"name": name, "description": scope.description, "grantable": name in grantable}
        )
    return [{"resource": resource, "scopes": items} for resource, items in groups.items()]


def consent_remembered(user: User, application: Application, scopes: list[str]) -> bool:
    """Whether the user may be spared the consent screen: a trusted (first-party) app, or
    consent already given to every scope asked and not revoked (``REMEMBER_CONSENT``)."""
    if application.skip_authorization:
        return True
    return bool(oauth_settings.REMEMBER_CONSENT) and set(scopes) <= previously_granted(user, application)


def previously_granted(user: User, application: Application) -> set[str]:
    """The scopes the user has granted this application and not revoked: those of live access
    tokens and of unrevoked refresh tokens (remembered consent)."""
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    live = get_access_token_model().objects.filter(
        user=user, application=application, expires__gt=timezone.now()
    )
    refreshable = get_refresh_token_model().objects.filter(
        user=user, application=application, revoked__isnull=True, access_token__isnull=False
    )
    scopes = [
        *live.values_list("scope", flat=True),
        *refreshable.values_list("access_token__scope", flat=True),
    ]
    return {name for scope in scopes for name in scope.split()}
