"""Client-authentication brute force throttle, per client and per IP, in the shared cache.

Failed client authentications (``invalid_client``) at the token, revocation and introspection
endpoints are counted in fixed windows; past ``THROTTLE_FAILURES`` in ``THROTTLE_WINDOW_SECONDS``
for the client or the IP, the endpoint answers 429 with ``Retry-After`` until the window ends
(RFC 6585 §4; RFC 9700 §4.15 asks for brute-force protection). Counters live in Django's cache
(Redis in production), so every process sees them.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any
from urllib.parse import unquote_plus

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .conf import oauth_settings
from .gates import oauth_error
from .tenancy import organization_for_request


def claimed_client_id(request: HttpRequest) -> str:
    """The client_id a request claims, from HTTP Basic (RFC 6749 §2.3.1) or the body."""
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return unquote_plus(decoded.partition(":")[0])
    return request.POST.get("client_id", "")


def counter_keys(request: HttpRequest) -> list[str]:
    window = int(time.time() // oauth_settings.THROTTLE_WINDOW_SECONDS)
    organization = organization_for_request(request)
    keys = [f"perscom_oauth:authfail:{window}:ip:{request.META.get('REMOTE_ADDR', '')}"]
    client_id = claimed_client_id(request)
    if client_id:
        keys.append(f"perscom_oauth:authfail:{window}:client:{getattr(organization, 'pk', '')}:{client_id}")
    return keys


def seconds_left_in_window() -> int:
    window = oauth_settings.THROTTLE_WINDOW_SECONDS
    return max(1, int(window - time.time() % window))


class ClientAuthThrottleMixin:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = oauth_settings.THROTTLE_FAILURES
        if not limit:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        keys = counter_keys(request)
        if any((cache.get(key) or 0) >= limit for key in keys):
            response = oauth_error(
                429, "slow_down", _("Too many failed client authentications; retry later.")
            )
            response["Retry-After"] = str(seconds_left_in_window())
            return response
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == 401:
            for key in keys:
                # add() then incr(): atomic in Redis, so concurrent failures are all counted.
                cache.add(key, 0, timeout=oauth_settings.THROTTLE_WINDOW_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, timeout=oauth_settings.THROTTLE_WINDOW_SECONDS)
        return response
