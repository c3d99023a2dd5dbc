"""The ``Authorization`` header, parsed once, the same way for every caller.

RFC 7235 §2.1: ``credentials = auth-scheme [ 1*SP token68 ]``; the scheme is case-insensitive,
the separator a space (a tab or other whitespace makes the header malformed). HTTP Basic
carries ``client_id:client_secret``, each form-encoded (RFC 6749 §2.3.1), in strict base64:
a value the base library would decode leniently but we cannot is refused before it gets
there (``gates``), so the throttle and client authentication always see the same client.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus


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
