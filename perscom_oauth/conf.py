"""The app's settings: one namespaced dict, ``PERSCOM_OAUTH``, read through ``oauth_settings``.

Values are read from ``django.conf.settings`` on every access (nothing is cached), so
``override_settings`` and ``setting_changed`` need no special handling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: Every key of ``PERSCOM_OAUTH`` with its default. docs/settings.md documents each one
#: (tests/test_docs.py fails on a key it lacks).
DEFAULTS: dict[str, object] = {
    # Dotted path of the adapter class that connects the host's tenants and plans.
    "ADAPTER": "perscom_oauth.adapter.OrganizationAdapter",
    # Plans (values of ``Organization.plan``) that include OAuth 2.0.
    "PLANS_WITH_OAUTH": ["enterprise"],
    # Slug of the organization that answers on hosts no organization claims (single tenant).
    "DEFAULT_ORGANIZATION": None,
    # Which clients must use PKCE (RFC 7636): "public" (RFC 9700 §2.1.1's minimum; confidential
    # clients may keep the seed's plain code flow) or "all".
    "PKCE_REQUIRED_FOR": "public",
    # Apps ("app_label") and models ("app_label.Model") whose permissions are scopes.
    "SCOPE_MODELS": [],
    # Scopes that are no permission, with their descriptions (OpenID Connect's by default).
    "EXTRA_SCOPES": {
        "openid": _("Sign you in with your account"),
        "profile": _("View your name and username"),
        "email": _("View your email address"),
    },
    # The host's own wording of scopes on the consent screen and "Authorized applications",
    # by scope name ({"view:user": _("See your unit's roster")}); others get plain words.
    "SCOPE_DESCRIPTIONS": {},
    # Scopes granted when a client asks for none (RFC 6749 §3.3); none: the request fails.
    "DEFAULT_SCOPES": [],
    # Refresh tokens (RFC 9700 §4.14): unused this long, or this long after consent, they expire.
    "REFRESH_TOKEN_IDLE_SECONDS": 14 * 24 * 3600,
    "REFRESH_TOKEN_ABSOLUTE_SECONDS": 90 * 24 * 3600,
    # Skip the consent screen when the user already granted the same or wider scopes to the
    # application and has not revoked them (OIDC `prompt=consent` always asks).
    "REMEMBER_CONSENT": True,
    # Brute-force throttle (throttle.py): failed client authentications per client and source
    # address, and failed password grants per username and source address, allowed in each
    # window (0 turns it off); and all failures allowed from one source address.
    "THROTTLE_FAILURES": 10,
    "THROTTLE_SOURCE_FAILURES": 100,
    "THROTTLE_WINDOW_SECONDS": 300,
    # How long a validated token or host may be served from the cache at most (token_cache.py);
    # changes invalidate entries at once, this is only a backstop. 0 turns the cache off.
    "TOKEN_CACHE_SECONDS": 300,
    # How long the cache's copy of an organization's generation is trusted before the database
    # is asked again (generations.py): the bound on honouring a change that the cache was not
    # told of (a process that died or could not reach it, a cache restored from a snapshot).
    # Costs one primary-key query per host per interval.
    "GENERATION_SECONDS": 2,
    # Audit events older than this are deleted by `manage.py cleanup_oauth`.
    "AUDIT_RETENTION_DAYS": 365,
}

#: The swappable organization model is a top-level setting, like ``AUTH_USER_MODEL``:
#: Django's swappable-model machinery only reads top-level settings.
ORGANIZATION_MODEL_SETTING = "PERSCOM_OAUTH_ORGANIZATION_MODEL"
DEFAULT_ORGANIZATION_MODEL = "perscom_oauth.Organization"


def organization_model_label() -> str:
    """The ``app_label.ModelName`` of the organization model in use."""
    return getattr(settings, ORGANIZATION_MODEL_SETTING, DEFAULT_ORGANIZATION_MODEL)


# Django's migration autodetector reads a swappable model's setting straight from
# ``settings`` (there is no default for it anywhere but here), so give it one, as
# ``global_settings`` does for AUTH_USER_MODEL. Runs once, when the models are imported.
if settings.configured and not hasattr(settings, ORGANIZATION_MODEL_SETTING):
    setattr(settings, ORGANIZATION_MODEL_SETTING, DEFAULT_ORGANIZATION_MODEL)


class OAuthSettings:
    """``PERSCOM_OAUTH`` read key by key. Each key is declared with its type below (an
    annotation only: at run time ``__getattr__`` answers it); ``checks`` reports a value of
    another type, and meanwhile it is returned as given."""

    ADAPTER: str
    PLANS_WITH_OAUTH: Sequence[str]
    DEFAULT_ORGANIZATION: str | None
    PKCE_REQUIRED_FOR: str
    SCOPE_MODELS: Sequence[str]
    EXTRA_SCOPES: Mapping[str, StrOrPromise]
    SCOPE_DESCRIPTIONS: Mapping[str, StrOrPromise]
    DEFAULT_SCOPES: Sequence[str]
    REFRESH_TOKEN_IDLE_SECONDS: int
    REFRESH_TOKEN_ABSOLUTE_SECONDS: int
    REMEMBER_CONSENT: bool
    THROTTLE_FAILURES: int
    THROTTLE_SOURCE_FAILURES: int
    THROTTLE_WINDOW_SECONDS: int
    TOKEN_CACHE_SECONDS: int
    GENERATION_SECONDS: int
    AUDIT_RETENTION_DAYS: int

    if not TYPE_CHECKING:  # mypy checks names against the declarations above

        def __getattr__(self, name: str) -> Any:
            if name not in DEFAULTS:
                raise AttributeError(f"Unknown perscom-oauth setting: {name!r}")
            return self.user_settings.get(name, DEFAULTS[name])

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, "PERSCOM_OAUTH", {})
        # A broken PERSCOM_OAUTH is reported by system check E001; run on defaults meanwhile.
        return value if isinstance(value, dict) else {}


oauth_settings = OAuthSettings()
