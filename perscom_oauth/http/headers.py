"""The ``Authorization`` header, parsed once, the same way for every caller.

RFC 7235 §2.1: ``credentials = auth-scheme [ 1*SP token68 ]``; the scheme is case-insensitive,
the separator a space (a tab or other whitespace makes the header malformed). HTTP Basic
carries ``client_id:client_secret``, each form-encoded (RFC 6749 §2.3.1), in strict base64:
a value the base library would decode leniently but we cannot is refused before it gets
there (``tenancy.throttle``), so the throttle and client authentication always see the same client.

A client authenticates one way per request (RFC 6749 §2.3): HTTP Basic when the header is
there, else the body's ``client_id`` and ``client_secret`` (§2.3.1). ``second_method`` says
why a request uses two, ``client_id_of`` which client a request that uses one authenticates
as: the throttle counts that client, and the validator authenticates it (issue 19 M3, L3).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class BasicCredentials:
    client_id: str
    client_secret: str


#: What ``basic_credentials`` answers for a Basic header that cannot be decoded.
MALFORMED = BasicCredentials("", "")


def authorization(headers: Mapping[str, str]) -> tuple[str, str]:
    """``(scheme in lower case, credentials)``; ``("", "")`` without the header."""
    scheme, _sep, credentials = (headers.get("Authorization") or "").partition(" ")
    return scheme.lower(), credentials


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (RFC 6750 §2.1), else None."""
    scheme, credentials = authorization(headers)
    return credentials if scheme == "bearer" else None


def presents_bearer(headers: Mapping[str, str]) -> bool:
    return authorization(headers)[0] == "bearer"


def basic_credentials(headers: Mapping[str, str]) -> BasicCredentials | None:
    """The client credentials of an HTTP Basic header, ``MALFORMED`` when it cannot be decoded,
    or None when the request does not use Basic."""
    scheme, credentials = authorization(headers)
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text (b64decode)
        return MALFORMED
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        return MALFORMED
    return BasicCredentials(unquote_plus(client_id), unquote_plus(client_secret))


def second_method(headers: Mapping[str, str], body: Mapping[str, str | None]) -> str | None:
    """Why a request authenticates its client in more than one way, or None. With HTTP Basic
    credentials the body may repeat their client_id (RFC 6749 §4.1.3 names it), nothing more:
    a client_secret there, or another client_id, is a second method (§2.3), ``invalid_request``
    (§5.2)."""
    basic = basic_credentials(headers)
    if basic is None:
        return None
    if body.get("client_secret") is not None:
        return _("Use one client authentication method: HTTP Basic or the client_secret parameter, not both.")
    client_id = body.get("client_id")
    if client_id is not None and client_id != basic.client_id:
        return _("The client_id parameter names another client than the HTTP Basic credentials.")
    return None


def client_id_of(headers: Mapping[str, str], body: Mapping[str, str | None]) -> str:
    """The client_id of the client a request authenticates as (its only one, unless
    ``second_method`` refuses it): HTTP Basic's, else the body's."""
    credentials = basic_credentials(headers)
    if credentials is not None:
        return credentials.client_id
    return body.get("client_id") or ""
