"""Scopes are permissions: the registry of scopes, derived from Django's permissions.

A scope is ``action:resource``. Django's default permission ``add_x`` / ``change_x`` /
``delete_x`` / ``view_x`` becomes ``create:x`` / ``update:x`` / ``delete:x`` / ``view:x``,
where ``x`` is the model's ``model_name`` (PERSCOM's resource names); a custom permission
``verb_object`` becomes ``verb:object`` (``clear_cache`` -> ``clear:cache``).

``SCOPE_MODELS`` says which apps and models are exposed; ``EXTRA_SCOPES`` adds scopes that
map to no permission (``openid``, ``profile``, ``email``). The registry is rebuilt when
settings change (tests) and otherwise computed once per process from model metadata: no query.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

from ..conf import oauth_settings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..typing import Application, OAuthlibRequest

ALL_SCOPES = "*"
#: Django's default permission verbs and the scope actions PERSCOM names them by.
ACTIONS = {"add": "create", "change": "update", "delete": "delete", "view": "view"}
VERBS = {action: verb for verb, action in ACTIONS.items()}
ACTION_WORDS = {"add": _("create"), "change": _("update"), "delete": _("delete"), "view": _("view")}
#: The same verbs in the plain words of the consent screen ("See users"), per verb.
PLAIN_WORDS = {
    "add": _("Add {resources}"),
    "change": _("Change {resources}"),
    "delete": _("Delete {resources}"),
    "view": _("See {resources}"),
}
#: Scopes the protocol itself needs when a client asks for them: the user cannot untick them on
#: the consent screen (OIDC Core §3.1.2.1: without ``openid`` there is no ID token, and the
#: relying party that asked for sign-in fails), so ``pages.forms.ConsentForm`` always keeps them.
PROTOCOL_SCOPES = frozenset({"openid"})
#: What a scope lets an application do, for the consent screen's visual distinction.
READ, WRITE, DELETE, IDENTITY = "read", "write", "delete", "identity"


def scope_for_codename(codename: str) -> str:
    """``view_user`` -> ``view:user``; ``add_award`` -> ``create:award``; ``clear_cache`` -> ``clear:cache``.

    Raises ``ValueError`` for a codename with no ``verb_`` prefix.
    """
    verb, sep, resource = codename.partition("_")
    if not (verb and sep and resource):
        raise ValueError(f"Permission codename {codename!r} is not of the form verb_object.")
    return f"{ACTIONS.get(verb, verb)}:{resource}"


def codename_for_scope(scope: str) -> str:
    """The inverse of ``scope_for_codename``: ``create:award`` -> ``add_award``."""
    action, sep, resource = scope.partition(":")
    if not (action and sep and resource):
        raise ValueError(f"Scope {scope!r} is not of the form action:resource.")
    return f"{VERBS.get(action, action)}_{resource}"


@dataclass(frozen=True)
class Scope:
    name: str
    description: StrOrPromise  # a lazily translated string, usually
    resource: str
    #: ``app_label.codename`` of the permission this scope is, or None for an extra scope.
    permission: str | None = None
    #: The resource in words, plural ("users"); the scope name's resource when it has none.
    resource_label: StrOrPromise | None = None
    #: What the consent screen and "Authorized applications" say ("See users"): the host's
    #: wording from ``SCOPE_DESCRIPTIONS`` if any, else plain words, else ``description``.
    wording: StrOrPromise | None = None

    @property
    def kind(self) -> str:
        """READ, WRITE or DELETE for a permission scope; IDENTITY for one that is no permission."""
        if self.permission is None:
            return IDENTITY
        action = self.name.partition(":")[0]
        return {"view": READ, "delete": DELETE}.get(action, WRITE)


def exposed_models() -> list[type[models.Model]]:
    """The models named by ``SCOPE_MODELS`` (``"app_label"`` or ``"app_label.Model"``)."""
    found: list[type[models.Model]] = []
    for entry in oauth_settings.SCOPE_MODELS:
        if "." in entry:
            found.append(apps.get_model(entry))
        else:
            found.extend(apps.get_app_config(entry).get_models())
    return found


def permission_scopes(model: type[models.Model]) -> list[Scope]:
    opts = model._meta
    default = [
        (
            f"{verb}_{opts.model_name}",
            format_lazy(
                _("Can {action} {model}"), action=ACTION_WORDS.get(verb, verb), model=opts.verbose_name
            ),
        )
        for verb in opts.default_permissions
    ]
    plain = {
        f"{verb}_{opts.model_name}": format_lazy(PLAIN_WORDS[verb], resources=opts.verbose_name_plural)
        for verb in opts.default_permissions
        if verb in PLAIN_WORDS
    }
    scopes = []
    for codename, description in [*default, *opts.permissions]:
        name = scope_for_codename(codename)
        permission = f"{opts.app_label}.{codename}"
        wording = plain.get(codename, description)
        scopes.append(
            Scope(name, description, name.partition(":")[2], permission, opts.verbose_name_plural, wording)
        )
    return scopes


def collect_scopes() -> list[Scope]:
    """Every scope, collisions included (``checks.check_scopes`` reports them)."""
    scopes = [
        Scope(name, description, name.partition(":")[2] or name)
        for name, description in oauth_settings.EXTRA_SCOPES.items()
    ]
    for model in exposed_models():
        scopes.extend(permission_scopes(model))
    overrides = oauth_settings.SCOPE_DESCRIPTIONS
    return [
        replace(scope, wording=overrides.get(scope.name) or scope.wording or scope.description)
        for scope in scopes
    ]


@cache
def registry() -> dict[str, Scope]:
    return {scope.name: scope for scope in collect_scopes()}


@cache
def registry_fingerprint() -> str:
    """Changes whenever the registry does (names or permissions): cached state keys on it."""
    pairs = sorted((name, scope.permission or "") for name, scope in registry().items())
    return hashlib.sha256(repr(pairs).encode()).hexdigest()[:10]


@receiver(setting_changed)
def _reset_registry(*, setting: str, **kwargs: Any) -> None:
    if setting in ("PERSCOM_OAUTH", "INSTALLED_APPS"):
        registry.cache_clear()
        registry_fingerprint.cache_clear()


def allowed_scope_names(application: Application) -> set[str]:
    """The scopes an application may request: its admin-chosen subset, or every scope for "*"."""
    allowed = set(application.allowed_scopes.split())
    names = set(registry())
    return names if ALL_SCOPES in allowed else allowed & names


class PermissionScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend (``SCOPES_BACKEND_CLASS``), on the registry."""

    def get_all_scopes(self) -> dict[str, StrOrPromise]:
        return {name: scope.description for name, scope in registry().items()}

    def get_available_scopes(
        self,
        application: Application | None = None,
        request: OAuthlibRequest | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[str]:
        if application is None:
            return sorted(registry())  # what discovery advertises (RFC 8414 §2 scopes_supported)
        return sorted(allowed_scope_names(application))

    def get_default_scopes(
        self,
        application: Application | None = None,
        request: OAuthlibRequest | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[str]:
        available = self.get_available_scopes(application, request)
        return [name for name in oauth_settings.DEFAULT_SCOPES if name in available]
