"""What perscom-oauth adds to the base library's OpenID Connect, in one place.

The validator's OpenID Connect hooks (``server/validator.py``), the authorization view's ``prompt``
and ``max_age`` handling (``views/oauth.py``) and discovery (``discovery.py``) all ask this module:

- **claims**: which claim each scope releases (OIDC Core §5.4) and how each is read from the
  user; the ID token, userinfo and ``claims_supported`` come from the same table;
- **sign-in age**: ``max_age`` (§3.1.2.1) against the user's last sign-in, which is also the
  ID token's ``auth_time`` (the base library reads ``last_login``);
- **silent requests**: ``prompt=none`` (§3.1.2.6) succeeds only for a signed-in member whose
  consent covers every requested scope, by the same rule as the consent screen's shortcut;
- **``id_token_hint``**: names the signed-in user, or the request gets ``login_required``
  (§3.1.2.1); the base library accepts any hint;
- **ID-token lifetime**: the application's ``id_token_lifetime``, else the base library's
  ``ID_TOKEN_EXPIRE_SECONDS`` (our default: one hour, as access tokens).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider.settings import oauth2_settings

from ..carried import organization_of

if TYPE_CHECKING:
    from ..server.validator import OAuth2Validator
    from ..typing import AnyUser, Application, OAuthlibRequest, User


def user_of(request: OAuthlibRequest) -> User:
    """The user a claim is read from: claims are released only in an ID token or by userinfo,
    both of a user (OIDC Core §2, ``sub``), so oauthlib has set ``request.user``."""
    return cast("User", request.user)


@dataclass(frozen=True)
class Claim:
    scope: str
    read: Callable[[OAuthlibRequest], str | None]


#: Every claim released, with the scope that releases it. ``sub`` (the user's primary key) is
#: the base library's, released with ``openid``.
CLAIMS = {
    "name": Claim(
        "profile", lambda request: user_of(request).get_full_name() or user_of(request).get_username()
    ),
    "preferred_username": Claim("profile", lambda request: user_of(request).get_username()),
    "email": Claim("email", lambda request: user_of(request).email),
    # The tenant the token belongs to comes with sign-in itself.
    "organization": Claim("openid", lambda request: getattr(organization_of(request), "slug", None)),
}

#: Parameters of OIDC Core §6 that are not supported: refused with their own error code.
UNSUPPORTED_PARAMETERS = {"request": "request_not_supported", "request_uri": "request_uri_not_supported"}


def claim_scopes() -> dict[str, str]:
    return {"sub": "openid", **{name: claim.scope for name, claim in CLAIMS.items()}}


def claim_readers() -> dict[str, Callable[[OAuthlibRequest], str | None]]:
    return {name: claim.read for name, claim in CLAIMS.items()}


def id_token_lifetime(application: Application | None) -> int:
    seconds: int = getattr(application, "id_token_lifetime", None) or oauth2_settings.ID_TOKEN_EXPIRE_SECONDS
    return seconds


class InvalidMaxAge(ValueError):
    pass


def max_age_of(value: str | None) -> int | None:
    """The ``max_age`` parameter in seconds (None when absent); a non-negative integer."""
    if value is None or value == "":
        return None
    # ASCII digits only: str.isdigit() also accepts "²" (which int() refuses) and other scripts'
    # digits (which int() reads), neither of them the spec's integer.
    if not (value.isascii() and value.isdigit()):
        raise InvalidMaxAge(value)
    return int(value)


def invalid_max_age_message() -> str:
    """Invalid, not unsupported: ``max_age`` is supported, this value is no number of seconds."""
    return _("The max_age parameter is invalid: it must be a non-negative whole number of seconds.")


def sign_in_too_old(user: AnyUser, max_age: int | None, now: datetime | None = None) -> bool:
    """Whether the user must sign in again for ``max_age`` (OIDC Core §3.1.2.1)."""
    if max_age is None:
        return False
    signed_in = getattr(user, "last_login", None)
    # The sign-in's age against max_age, never last_login + max_age: a max_age of centuries
    # would overflow the datetime.
    return signed_in is None or ((now or timezone.now()) - signed_in).total_seconds() > max_age


def hint_names_user(validator: OAuth2Validator, hint: str | None, user: User | None, issuer: str) -> bool:
    """Whether ``id_token_hint`` names ``user`` (OIDC Core §3.1.2.1): an ID token this issuer
    signed (expired ones too: a hint is usually old) whose ``sub`` is the signed-in user. True
    without a hint, or without a session: whoever signs in next is checked on the way back."""
    if not hint or user is None:
        return True
    try:
        # Our override (server.id_tokens.key_for_token): every published key of its organization.
        key = validator._get_key_for_token(hint)
        if key is None:
            return False
        claims = json.loads(jwt.JWT(key=key, jwt=hint, check_claims={}).claims)
    except (JWException, ValueError, TypeError, ImproperlyConfigured):
        return False  # not an ID token of ours, or tampered with
    return isinstance(claims, dict) and claims.get("iss") == issuer and claims.get("sub") == str(user.pk)
