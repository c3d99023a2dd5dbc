"""The device authorization grant's two throttles (RFC 8628), in Django's cache (Redis in
production, so every process sees them).

- The poll gate (§3.5 ``slow_down``): one mark per device code, set atomically (``cache.add``)
  for the polling ``interval``. A poll that finds the mark is answered ``slow_down`` without
  touching the database; each such poll keeps the mark for another interval, so a flood stays
  slowed until it stops.
- User-code entry (§5.1): wrong codes entered on the verification page, per member and per
  source address, in the windows of ``THROTTLE_WINDOW_SECONDS``, up to
  ``DEVICE_CODE_ATTEMPTS``. An attempt reserves its place first (so concurrent guesses cannot
  pass the limit together) and gives it back when the code was right.

Both fail open when the cache is down (throttling only: a poll then reaches the database, which
still decides; nothing here ever lets a denied or expired code through). Keys carry a hash of
the device code, never the code.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

from ..cache.health import CacheHealth
from ..conf import oauth_settings
from .throttle import Counter, digest, release, reserve


def poll_too_soon(organization_pk: object, device_code: str, interval: int) -> bool:
    """True when this device code was polled less than ``interval`` seconds ago (RFC 8628
    §3.5: the client "MUST wait at least the number of seconds specified by the interval")."""
    key = f"perscom_oauth:poll:{organization_pk}:{digest(device_code)}"
    try:
        first = cache.add(key, 1, timeout=interval)
        if not first:
            # Still polling too fast: slowed for another interval (§3.5 slow_down "for this and
            # all subsequent requests").
            cache.touch(key, interval)
        CacheHealth.worked()
    except Exception:  # any cache backend's connection error: fail open, for throttling only
        CacheHealth.failed()
        return False
    return not first


def entry_counters(request: HttpRequest, organization_pk: object) -> list[Counter]:
    """Wrong user codes of this member, and of this source address, in this window."""
    window = int(time.time() // oauth_settings.THROTTLE_WINDOW_SECONDS)
    prefix = f"perscom_oauth:usercode:{window}"
    limit = oauth_settings.DEVICE_CODE_ATTEMPTS
    source = request.META.get("REMOTE_ADDR", "")
    user_pk = getattr(request.user, "pk", "")
    return [
        Counter(f"{prefix}:src:{source}", limit, frozenset()),
        Counter(f"{prefix}:usr:{organization_pk}:{user_pk}", limit, frozenset()),
    ]


def reserve_entry(counters: list[Counter]) -> bool:
    """Count one entry attempt; False when the member or the source is over the limit (the
    place is then given back: a refused attempt is not a guess)."""
    try:
        totals = reserve(counters)
        CacheHealth.worked()
    except Exception:
        CacheHealth.failed()
        return True
    if any(total > counter.limit for counter, total in zip(counters, totals, strict=True)):
        give_back(counters)
        return False
    return True


def give_back(counters: list[Counter]) -> None:
    """The code was right (or the attempt was refused unevaluated): not a failure."""
    try:
        release(counters)
    except Exception:
        CacheHealth.failed()
