"""Brute-force throttle for the client endpoints (token, revocation, introspection).

What it counts, in fixed windows of ``THROTTLE_WINDOW_SECONDS`` in Django's cache (Redis in
production, so every process sees the same counters):

- failed client authentications (``invalid_client``) per *client and source address*: the one
  client the request authenticates as (``http.headers.client_id_of``). A request that uses two
  authentication methods is refused first (RFC 6749 §2.3), so a decoy in one cannot take the
  failures of guesses in the other (issue 19 L3);
- failed password grants (``invalid_grant``) per *username and source address*;
- unknown device codes (RFC 8628 polls answered ``invalid_grant``) per *client and source
  address*, like a failed authentication: a guesser of device codes is stopped before the
  database (RFC 8628 §5.2);
- every such failure per *source address*, up to ``THROTTLE_SOURCE_FAILURES``.

Past a limit, that client, user or source gets 429 with ``Retry-After`` until the window ends
(RFC 6585 §4; RFC 9700 §4.15). A guesser never locks the legitimate client or user out from
another address (Keycloak's lockout and Hydra's absence of one: a server-generated secret of
256 bits is not guessable online, so locking the client itself only serves denial of service).

Every attempt reserves its place in each counter *before* it is evaluated (an atomic
increment; one round trip for all of them with our Redis cache), and gives it back when it did
not fail: N concurrent guesses evaluate at most the limit. Cache keys carry a hash of the
client id or username, never the raw value, and the source address in a Redis hash tag: on
Redis Cluster a request's counters share a slot, so one script counts them all.

A cache outage costs the throttle, never the endpoint: it fails open with a logged warning
(revocation must work during an outage; access is decided by the database, not by this).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ..cache.backend import RedisCache
from ..cache.health import CacheHealth
from ..conf import oauth_settings
from ..http.headers import MALFORMED, basic_credentials, client_id_of, second_method
from ..http.responses import oauth_error
from .hosts import organization_for_request

CLIENT, PASSWORD = "client", "password"


@dataclass(frozen=True)
class Counter:
    key: str
    limit: int
    #: Which failures count here: CLIENT (invalid_client), PASSWORD (a failed password grant).
    counts: frozenset[str]


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


def counters(request: HttpRequest) -> list[Counter]:
    window = int(time.time() // oauth_settings.THROTTLE_WINDOW_SECONDS)
    source = request.META.get("REMOTE_ADDR", "")
    tenant = getattr(organization_for_request(request), "pk", "")
    # Every counter is per source address: named in the hash tag, they share a Redis Cluster slot.
    prefix = f"perscom_oauth:fail:{{src:{source}}}:{window}"
    limit = oauth_settings.THROTTLE_FAILURES
    found = [Counter(f"{prefix}:src", oauth_settings.THROTTLE_SOURCE_FAILURES, frozenset({CLIENT, PASSWORD}))]
    # The client the request authenticates as: one method per request (``dispatch``).
    client_id = client_id_of(request.headers, request.POST)
    if client_id:
        found.append(Counter(f"{prefix}:cli:{tenant}:{digest(client_id)}", limit, frozenset({CLIENT})))
    if request.POST.get("grant_type") == "password" and request.POST.get("username"):
        username = digest(request.POST["username"])
        found.append(Counter(f"{prefix}:usr:{tenant}:{username}", limit, frozenset({PASSWORD})))
    return found


#: The device flow's grant type (RFC 8628 §3.4).
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


def failure_of(request: HttpRequest, response: HttpResponse) -> str | None:
    if response.status_code == 401:
        return CLIENT
    if response.status_code == 400 and request.POST.get("grant_type") == "password":
        return PASSWORD  # RFC 6749 §5.2 invalid_grant: wrong username or password
    if (
        response.status_code == 400
        and request.POST.get("grant_type") == DEVICE_CODE
        and b'"invalid_grant"' in response.content
    ):
        return CLIENT  # a device code that is not this client's (unknown, used, revoked)
    return None


def seconds_left_in_window() -> int:
    window = oauth_settings.THROTTLE_WINDOW_SECONDS
    return max(1, int(window - time.time() % window))


def counting_cache() -> RedisCache | None:
    """The default cache when it is one of ours (``cache.backend.RedisCache``, or its Redis
    Cluster subclass), which counts in one round trip. The backend itself: ``cache`` is a
    proxy, never an instance of a backend class."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    return backend if isinstance(backend, RedisCache) else None


def reserve(counters: list[Counter]) -> list[int]:
    """Count one attempt in each counter atomically and return the totals: one round trip
    with our Redis cache (``cache.backend.RedisCache.count``), else Django's add and incr."""
    timeout = oauth_settings.THROTTLE_WINDOW_SECONDS
    counting = counting_cache()
    if counting is not None:
        return [total or 0 for total in counting.count({c.key: 1 for c in counters}, timeout)]
    totals = []
    for counter in counters:
        cache.add(counter.key, 0, timeout=timeout)
        try:
            totals.append(int(cache.incr(counter.key)))
        except ValueError:  # expired between add() and incr()
            cache.add(counter.key, 1, timeout=timeout)
            totals.append(1)
    return totals


def release(counters: list[Counter]) -> None:
    """Give the attempt back (a counter whose window ended meanwhile is left alone)."""
    if not counters:
        return
    counting = counting_cache()
    if counting is not None:
        counting.count({c.key: -1 for c in counters}, oauth_settings.THROTTLE_WINDOW_SECONDS)
        return
    for counter in counters:
        try:
            cache.decr(counter.key)
        except ValueError:
            pass


def throttled_response() -> HttpResponse:
    response = oauth_error(429, "slow_down", _("Too many failed attempts; retry later."))
    response["Retry-After"] = str(seconds_left_in_window())
    return response


def malformed_basic_response() -> HttpResponse:
    # RFC 6749 §5.2: 401 invalid_client with the scheme the client tried. Refused here rather
    # than decoded leniently by the base library, so the throttle always sees the client.
    response = oauth_error(401, "invalid_client", _("Malformed HTTP Basic credentials."))
    response["WWW-Authenticate"] = 'Basic realm="oauth"'
    return response


class ClientAuthThrottleMixin:
    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        problem = second_method(request.headers, request.POST)
        if problem is not None:
            # RFC 6749 §2.3, §5.2: two client authentication methods are invalid_request. Refused
            # before any secret is checked, so not a guess and not counted; and what is counted
            # below is the one client a request names (issue 19 M3, L3).
            return oauth_error(400, "invalid_request", problem)
        if not oauth_settings.THROTTLE_FAILURES:
            return self.evaluate(request, *args, **kwargs)
        reserved = counters(request)
        try:
            totals = reserve(reserved)
            CacheHealth.worked()
        except Exception:  # any cache backend's connection error: fail open, for throttling only
            CacheHealth.failed()
            return self.evaluate(request, *args, **kwargs)
        if any(total > counter.limit for counter, total in zip(reserved, totals, strict=True)):
            # Refused unevaluated, so not a guess: give the place back. Kept, a burst of more
            # than THROTTLE_FAILURES concurrent *valid* requests from one client and address
            # (whose in-flight reservations briefly fill the counter) locked that client out
            # for the rest of the window (issue 13). Failures already counted still refuse.
            self._release(reserved)
            return throttled_response()
        response = self.evaluate(request, *args, **kwargs)
        failure = failure_of(request, response)
        self._release([counter for counter in reserved if failure not in counter.counts])
        return response

    @staticmethod
    def _release(counters: list[Counter]) -> None:
        try:
            release(counters)
        except Exception:
            CacheHealth.failed()

    def evaluate(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if basic_credentials(request.headers) is MALFORMED:
            return malformed_basic_response()
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
