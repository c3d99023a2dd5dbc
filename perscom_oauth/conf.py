"""The app's settings: one namespaced dict, ``PERSCOM_OAUTH``, read through ``oauth_settings``.

Values are read from ``django.conf.settings`` on every access (nothing is cached), so
``override_settings`` and ``setting_changed`` need no special handling.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
else:
    # django-stubs-ext's name, for type checkers only; read at run time (checks) as this.
    StrOrPromise = str | Promise

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
    # A rotated refresh token presented again this soon is the client's own duplicate (two tabs,
    # a retry): refused, its family kept; later it is reuse and the family is revoked (RFC 9700
    # §4.14.2). Ours, not the base library's REFRESH_TOKEN_GRACE_PERIOD_SECONDS: that one hands
    # the old pair back, which checksum storage cannot (its check oauth2_provider.E001).
    "REFRESH_TOKEN_DUPLICATE_SECONDS": 10,
    # Skip the consent screen when the user already granted the same or wider scopes to the
    # application and has not revoked them (OIDC `prompt=consent` always asks).
    "REMEMBER_CONSENT": True,
    # Brute-force throttle (tenancy/throttle.py): failed client authentications per client and source
    # address, and failed password grants per username and source address, allowed in each
    # window (0 turns it off); and all failures allowed from one source address.
    "THROTTLE_FAILURES": 10,
    "THROTTLE_SOURCE_FAILURES": 100,
    "THROTTLE_WINDOW_SECONDS": 300,
    # How long a validated token or host may be served from the cache at most (cache/entries.py);
    # changes invalidate entries at once, this is only a backstop. 0 turns the cache off.
    "TOKEN_CACHE_SECONDS": 300,
    # How long the cache's copy of an organization's generation is trusted before the database
    # is asked again (cache/generations.py): the bound on honouring a change that the cache was not
    # told of (a process that died or could not reach it, a cache restored from a snapshot).
    # Costs one primary-key query per host per interval.
    "GENERATION_SECONDS": 2,
    # Audit events older than this are deleted by `manage.py cleanup_oauth`.
    "AUDIT_RETENTION_DAYS": 365,
    # Paths of the host's APIs that are resources of their own (RFC 9728 §3.1: each gets its
    # metadata at /.well-known/oauth-protected-resource/<path>, and its 401s point there);
    # the rest of the host is one resource, the host itself.
    "RESOURCE_PATHS": [],
    # The device authorization grant (RFC 8628): how long a device code and its user code live
    # (§3.2 expires_in; the user codes' entropy is sized for it, tokens.device, §5.1), and how
    # many wrong user codes a member, and a source address, may enter per throttle window (§5.1).
    "DEVICE_CODE_SECONDS": 600,
    "DEVICE_CODE_ATTEMPTS": 10,
    # Tests only: a CA file. Client ID metadata documents on this machine (127.0.0.1, ::1,
    # localhost) are then fetched too, verified against this CA alone; everywhere else the base
    # library refuses loopback and private addresses (SSRF). `check --deploy` refuses it (E040).
    "TEST_METADATA_DOCUMENTS_CA": None,
    # Dynamic Client Registration (RFC 7591 §3, registration/dynamic.py): registration requests
    # allowed per source address, and per organization, in each THROTTLE_WINDOW_SECONDS window
    # (RFC 7591 §5: an open endpoint is a target for floods of clients). Past either: 429.
    "REGISTRATIONS_PER_SOURCE": 10,
    "REGISTRATIONS_PER_ORGANIZATION": 100,
    # Per-organization ID-token signing keys (signing/): Fernet keys that encrypt them at rest.
    # The first encrypts, every one decrypts (rotate a KEK: add it last, then first, then
    # `rotate_signing_keys --reencrypt`, then drop the old: docs/openid-connect.md).
    # Empty: OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] signs every ID token (RS256 only), as
    # before. A secret: read it from the environment.
    "SIGNING_KEY_ENCRYPTION_KEYS": [],
    # How long a new signing key is in the JWKS before it signs (OIDC Core §10.1.1). None: twice
    # OIDC_JWKS_MAX_AGE_SECONDS (the JWKS response's max-age plus stale-while-revalidate).
    "SIGNING_KEY_PUBLICATION_SECONDS": None,
    # The alias in DATABASES of a PostgreSQL read replica, for routers.ReplicaRouter (which must
    # then be last in DATABASE_ROUTERS): list pages and discovery documents may read it; no
    # security decision ever does (docs/replicas.md). None: every read is the primary's.
    "REPLICA_DATABASE": None,
}

#: Keys whose values are secrets: never echoed in a check's message.
SECRET_KEYS = frozenset({"SIGNING_KEY_ENCRYPTION_KEYS"})

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


@dataclass(frozen=True)
class Checked:
    """The system check of one setting: ``id`` reports a value that is not of the declared type
    or is below ``minimum`` (integers; None: no bound)."""

    id: str
    minimum: int | None = None


class OAuthSettings:
    """``PERSCOM_OAUTH`` read key by key. Each key is declared below with its type and its
    ``Checked`` (an annotation only: at run time ``__getattr__`` answers it). mypy checks the
    readers against the type; ``checks.check_settings`` reports a value that does not conform,
    under the key's id, and meanwhile the key's default is used, so a wrong value never fails
    a request. A new key is one line here (and its default in ``DEFAULTS``)."""

    ADAPTER: Annotated[str, Checked(id="perscom_oauth.E002")]
    PLANS_WITH_OAUTH: Annotated[Sequence[str], Checked(id="perscom_oauth.E004")]
    DEFAULT_ORGANIZATION: Annotated[str | None, Checked(id="perscom_oauth.E005")]
    PKCE_REQUIRED_FOR: Annotated[Literal["public", "all"], Checked(id="perscom_oauth.E006")]
    SCOPE_MODELS: Annotated[Sequence[str], Checked(id="perscom_oauth.E015")]
    EXTRA_SCOPES: Annotated[Mapping[str, StrOrPromise], Checked(id="perscom_oauth.E016")]
    SCOPE_DESCRIPTIONS: Annotated[Mapping[str, StrOrPromise], Checked(id="perscom_oauth.E017")]
    DEFAULT_SCOPES: Annotated[Sequence[str], Checked(id="perscom_oauth.E018")]
    REFRESH_TOKEN_IDLE_SECONDS: Annotated[int, Checked(id="perscom_oauth.E019", minimum=1)]
    REFRESH_TOKEN_ABSOLUTE_SECONDS: Annotated[int, Checked(id="perscom_oauth.E020", minimum=1)]
    REFRESH_TOKEN_DUPLICATE_SECONDS: Annotated[int, Checked(id="perscom_oauth.E028", minimum=0)]  # 0: none
    REMEMBER_CONSENT: Annotated[bool, Checked(id="perscom_oauth.E021")]
    THROTTLE_FAILURES: Annotated[int, Checked(id="perscom_oauth.E022", minimum=0)]  # 0: off
    THROTTLE_SOURCE_FAILURES: Annotated[int, Checked(id="perscom_oauth.E023", minimum=1)]  # 0 refuses all
    THROTTLE_WINDOW_SECONDS: Annotated[int, Checked(id="perscom_oauth.E024", minimum=1)]  # a divisor
    TOKEN_CACHE_SECONDS: Annotated[int, Checked(id="perscom_oauth.E025", minimum=0)]  # 0: off
    GENERATION_SECONDS: Annotated[int, Checked(id="perscom_oauth.E027", minimum=1)]
    AUDIT_RETENTION_DAYS: Annotated[int | None, Checked(id="perscom_oauth.E026", minimum=1)]  # None: keep
    RESOURCE_PATHS: Annotated[Sequence[str], Checked(id="perscom_oauth.E029")]
    DEVICE_CODE_SECONDS: Annotated[int, Checked(id="perscom_oauth.E030", minimum=60)]
    DEVICE_CODE_ATTEMPTS: Annotated[int, Checked(id="perscom_oauth.E031", minimum=1)]  # 0 refuses all
    TEST_METADATA_DOCUMENTS_CA: Annotated[str | None, Checked(id="perscom_oauth.E032")]
    REGISTRATIONS_PER_SOURCE: Annotated[int, Checked(id="perscom_oauth.E033", minimum=1)]  # 0 refuses all
    REGISTRATIONS_PER_ORGANIZATION: Annotated[int, Checked(id="perscom_oauth.E034", minimum=1)]
    SIGNING_KEY_ENCRYPTION_KEYS: Annotated[Sequence[str], Checked(id="perscom_oauth.E036")]
    SIGNING_KEY_PUBLICATION_SECONDS: Annotated[int | None, Checked(id="perscom_oauth.E037", minimum=0)]
    REPLICA_DATABASE: Annotated[str | None, Checked(id="perscom_oauth.E038")]

    if not TYPE_CHECKING:  # mypy checks names against the declarations above

        def __getattr__(self, name: str) -> Any:
            if name not in DEFAULTS:
                raise AttributeError(f"Unknown perscom-oauth setting: {name!r}")
            value = self.user_settings.get(name, DEFAULTS[name])
            return value if declaration(name).accepts(value) else DEFAULTS[name]

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, "PERSCOM_OAUTH", {})
        # A broken PERSCOM_OAUTH is reported by system check E001; run on defaults meanwhile.
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Declaration:
    """One key as ``OAuthSettings`` declares it, read at run time."""

    name: str
    type: Any  # a typing form: str, int | None, Sequence[str], Literal[...]
    check: Checked

    def accepts(self, value: object) -> bool:
        return conforms(value, self.type, self.check.minimum)

    def describe(self) -> str:
        """The accepted values in words: "an integer of at least 1"."""
        return describe(self.type, self.check.minimum)


@cache  # the declarations are code, not settings: read once
def declarations() -> dict[str, Declaration]:
    hints = get_type_hints(OAuthSettings, include_extras=True)
    found = {}
    for name, hint in hints.items():
        check = next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Checked)), None)
        if check is None:
            raise TypeError(
                f'Declare OAuthSettings.{name} as Annotated[<type>, Checked(id="perscom_oauth.E0..")].'
            )
        found[name] = Declaration(name, get_args(hint)[0], check)
    return found


def declaration(name: str) -> Declaration:
    return declarations()[name]


def conforms(value: object, hint: Any, minimum: int | None = None) -> bool:
    """Whether ``value`` is of the type ``hint`` (the forms ``OAuthSettings`` uses), with
    integers at least ``minimum``. A bool is not an integer here; a str is not a sequence."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return any(conforms(value, arg, minimum) for arg in args)
    if origin is Literal:
        return any(type(value) is type(arg) and value == arg for arg in args)
    if origin is Sequence:
        return isinstance(value, list | tuple) and all(conforms(item, args[0]) for item in value)
    if origin is Mapping:
        return isinstance(value, Mapping) and all(
            conforms(key, args[0]) and conforms(item, args[1]) for key, item in value.items()
        )
    if hint is int:
        return type(value) is int and (minimum is None or value >= minimum)
    if isinstance(hint, type):
        return isinstance(value, hint)
    raise TypeError(f"OAuthSettings declares {hint!r}, which conf.conforms() cannot read.")


#: Words for the plain types of the declarations: (one, several).
TYPE_WORDS: dict[Any, tuple[str, str]] = {
    str: ("a string", "strings"),
    int: ("an integer", "integers"),
    bool: ("True or False", "booleans"),
    type(None): ("None", "None"),
    Promise: ("a lazy translation", "lazy translations"),
}


def describe(hint: Any, minimum: int | None = None, plural: bool = False) -> str:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(arg, minimum, plural) for arg in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    if origin is Sequence:
        return f"a list of {describe(args[0], plural=True)}"
    if origin is Mapping:
        return f"a dict of {describe(args[0], plural=True)} to {describe(args[1], plural=True)}"
    words = TYPE_WORDS[hint][1 if plural else 0]
    if hint is int and minimum is not None:
        words += f" of at least {minimum}"
    return words


oauth_settings = OAuthSettings()
