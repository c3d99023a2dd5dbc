"""The registration endpoint's flood throttle (RFC 7591 §5: an endpoint that creates clients,
open to anyone or to holders of an initial access token, is a target for floods of them).

Every registration request counts, successful or not (a flood of valid registrations is the
attack), per *source address* (``REGISTRATIONS_PER_SOURCE``) and per *organization*
(``REGISTRATIONS_PER_ORGANIZATION``), in the fixed windows of ``THROTTLE_WINDOW_SECONDS``,
with the counters of ``throttle`` (Django's cache; Redis in production, one round trip). A
request past either limit is refused unevaluated, 429 with ``Retry-After`` (RFC 6585 §4), and
gives its place back, as the client throttle does.

Fails open when the cache is down (throttling only: a registration still needs what the
organization's policy asks, and still passes the model's rules).
"""

from __future__ import annotations

import time

from django.http import HttpRequest

from ..cache.health import CacheHealth
from ..conf import oauth_settings
from .throttle import Counter, release, reserve


def registration_counters(request: HttpRequest, organization_pk: object) -> list[Counter]:
    """This source address's and this organization's registrations in this window."""
    window = int(time.time() // oauth_settings.THROTTLE_WINDOW_SECONDS)
    prefix = f"perscom_oauth:register:{window}"
    source = request.META.get("REMOTE_ADDR", "")
    return [
        Counter(f"{prefix}:src:{source}", oauth_settings.REGISTRATIONS_PER_SOURCE, frozenset()),
        Counter(
            f"{prefix}:org:{organization_pk}", oauth_settings.REGISTRATIONS_PER_ORGANIZATION, frozenset()
        ),
    ]


def reserve_registration(request: HttpRequest, organization_pk: object) -> bool:
    """Count one registration; False when the source or the organization is over its limit
    (that place is then given back: a refused request registered nothing)."""
    counters = registration_counters(request, organization_pk)
    try:
        totals = reserve(counters)
        CacheHealth.worked()
    except Exception:  # any cache backend's connection error: fail open, for throttling only
        CacheHealth.failed()
        return True
    if any(total > counter.limit for counter, total in zip(counters, totals, strict=True)):
        try:
            release(counters)
        except Exception:
            CacheHealth.failed()
        return False
    return True
