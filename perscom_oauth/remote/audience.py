"""RFC 8707 audiences: whether a token bound to resources may be used at this service.

django-oauth-toolkit's rule (``oauth2_validators.validate_resource_as_url_prefix``, the default
``RESOURCE_SERVER_TOKEN_RESOURCE_VALIDATOR``), which the authorization server applies in
process. That module loads the base library's models, which a separate service does not
install, so the rule is ported here; tests/test_remote_audience.py holds the two to the same
answers, and fails when the base library changes its rule.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _parts(uri: object) -> tuple[str, str, int | None, str] | None:
    """``(scheme, host, port, normalized path)``, or None for what is no absolute URI with a host
    (userinfo and fragments are refused: they could confuse the authority)."""
    if not isinstance(uri, str):
        return None
    parsed = urlsplit(uri)
    if parsed.username is not None or parsed.password is not None or parsed.fragment or "#" in uri:
        return None
    if not parsed.scheme or not parsed.hostname:
        return None
    scheme = parsed.scheme.lower()
    try:
        port = parsed.port
    except ValueError:
        return None
    if port is None:
        port = _DEFAULT_PORTS.get(scheme)
    return scheme, parsed.hostname.lower(), port, posixpath.normpath(parsed.path or "/")


def is_absolute_uri(uri: object) -> bool:
    return _parts(uri) is not None


def allows(resource: str, audiences: Iterable[str]) -> bool:
    """True when one of ``audiences`` is ``resource`` or a base of it (same scheme, host and
    port; its path a whole-segment prefix). No audiences: the token is bound to nothing."""
    audiences = list(audiences)
    if not audiences:
        return True
    target = _parts(resource)
    if target is None:
        return False
    scheme, host, port, path = target
    path = path.rstrip("/") + "/"
    for audience in audiences:
        parts = _parts(audience)
        if parts is None or parts[:3] != (scheme, host, port):
            continue
        if path.startswith(parts[3].rstrip("/") + "/"):
            return True
    return False
