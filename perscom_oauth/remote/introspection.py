"""The RFC 7662 client: what the organization's authorization server says of a token now, reused
for a short, configured while.

The service authenticates with its own client credentials, HTTP Basic (RFC 7662 §2.1, RFC 6749
§2.3.1), and sends the token in a POST body, never a URL. The answer is parsed strictly: an
answer this module cannot read is the authorization server's failure (``Unavailable``, a 503),
never an active token.

Answers are kept in Django's cache under the SHA-256 of the endpoint and the token (never the
token): an active one for ``CACHE_SECONDS`` at most and never past the token's ``exp``, an
inactive one for ``INACTIVE_CACHE_SECONDS``. So a revocation, a suspended application, a
removed member or a downgraded plan is honoured within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote_plus

import requests
from django.core.cache import caches

from .conf import ServerConfig

logger = logging.getLogger(__name__)

KEY_PREFIX = "perscom_oauth_remote:"


class Unavailable(Exception):
    """The authorization server gave no usable answer (down, slow, refused the service's
    credentials, or answered what RFC 7662 does not allow). Access fails closed."""


@dataclass(frozen=True)
class Introspection:
    """An active token as the authorization server described it (RFC 7662 §2.2)."""

    client_id: str
    scope: tuple[str, ...]
    exp: int
    username: str | None
    organization: str | None
    aud: tuple[str, ...]


@dataclass(frozen=True)
class Inactive:
    """A token that is not active. RFC 7662 §2.2 gives no reason; ``reason`` is the
    organization's own when it refuses every token (its plan no longer includes OAuth)."""

    reason: str | None = None


#: The answer for a token that is not active, whatever the reason (§2.2 says none).
INACTIVE = Inactive()


def introspect(config: ServerConfig, token: str) -> Introspection | Inactive:
    """The token's active description, or ``Inactive``; raises ``Unavailable``. Served from the
    cache when it holds an answer (an active one only until the token's ``exp``)."""
    cache = caches[config.cache_alias]
    key = cache_key(config, token)
    hit = _cached(cache, key)
    if isinstance(hit, Inactive) or (isinstance(hit, Introspection) and hit.exp > time.time()):
        return hit
    answer = _ask(config, token)
    _store(cache, key, answer, config)
    return answer


def cache_key(config: ServerConfig, token: str) -> str:
    digest = hashlib.sha256(f"{config.introspection_endpoint}\n{token}".encode()).hexdigest()
    return KEY_PREFIX + digest


_MISS = object()


def _cached(cache: Any, key: str) -> Any:
    try:
        value = cache.get(key, _MISS)
    except Exception:  # a cache outage costs an introspection, never a refusal or a pass
        logger.warning("The cache could not be read; asking the authorization server.", exc_info=True)
        return _MISS
    if value is _MISS:
        return _MISS
    try:
        if "inactive" in value:
            return Inactive(value["inactive"])
        return Introspection(**{**value, "scope": tuple(value["scope"]), "aud": tuple(value["aud"])})
    except (TypeError, KeyError, ValueError):  # an entry of another version of this module
        return _MISS


def _store(cache: Any, key: str, answer: Introspection | Inactive, config: ServerConfig) -> None:
    if isinstance(answer, Inactive):
        value: dict[str, object] = {"inactive": answer.reason}
        seconds = config.inactive_cache_seconds
    else:
        value = asdict(answer)
        # Never past the token's own expiry.
        seconds = min(config.cache_seconds, int(answer.exp - time.time()))
    if seconds <= 0:
        return
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("The cache could not be written; the next request asks again.", exc_info=True)


def _ask(config: ServerConfig, token: str) -> Introspection | Inactive:
    endpoint = config.introspection_endpoint
    try:
        response = requests.post(
            endpoint,
            data={"token": token, "token_type_hint": "access_token"},
            # RFC 6749 §2.3.1: each credential form-encoded, then Basic.
            auth=(quote_plus(config.client_id), quote_plus(config.client_secret)),
            headers={"Accept": "application/json"},
            timeout=config.timeout_seconds,
            # A redirect is no answer; following one would send the token elsewhere.
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.error("Introspection at %s failed: %s", endpoint, exc.__class__.__name__)
        raise Unavailable(str(exc)) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 403 and isinstance(body, dict) and body.get("error") == "access_denied":
        # The organization's plan no longer includes OAuth: it refuses every token (its
        # tenant gate answers before introspection). A decision, not an outage.
        description = body.get("error_description")
        return Inactive(description if isinstance(description, str) else None)
    if response.status_code != 200:
        # 401: the service's client credentials are wrong, or its client is suspended; 429: it
        # failed to authenticate too often; 404: no organization answers at that host.
        logger.error("Introspection at %s answered %s.", endpoint, response.status_code)
        raise Unavailable(f"HTTP {response.status_code}")
    return parse(body, endpoint)


def parse(body: object, endpoint: str = "") -> Introspection | Inactive:
    """RFC 7662 §2.2, strictly. Raises ``Unavailable`` for an answer that breaks it."""

    def broken(why: str) -> Unavailable:
        logger.error("Introspection at %s answered %s.", endpoint, why)
        return Unavailable(why)

    if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
        raise broken("no JSON object with a boolean 'active'")
    if body["active"] is not True:
        return INACTIVE
    token_type = body.get("token_type", "Bearer")
    if not isinstance(token_type, str):
        raise broken("a 'token_type' that is no string")
    if token_type.lower() != "bearer":
        return INACTIVE  # not an access token to present as a bearer (RFC 6750)
    exp = body.get("exp")
    # The cache's bound needs the expiry; booleans are ints in Python, and no number here.
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise broken("an active token without an integer 'exp'")
    if exp <= time.time():
        return INACTIVE
    scope = body.get("scope", "")
    client_id = body.get("client_id", "")
    username = body.get("username")
    organization = body.get("organization")
    aud = body.get("aud", [])
    if isinstance(aud, str):
        aud = [aud]
    if not isinstance(scope, str) or not isinstance(client_id, str):
        raise broken("a 'scope' or 'client_id' that is no string")
    if username is not None and not isinstance(username, str):
        raise broken("a 'username' that is no string")
    if organization is not None and not isinstance(organization, str):
        raise broken("an 'organization' that is no string")
    # 'aud' restricts the token: an unreadable one must not read as "no restriction".
    if not isinstance(aud, list) or not all(isinstance(entry, str) for entry in aud):
        raise broken("an 'aud' that is neither a string nor a list of strings")
    return Introspection(
        client_id=client_id,
        scope=tuple(sorted(set(scope.split()))),
        exp=exp,
        username=username,
        organization=organization,
        aud=tuple(aud),
    )
