"""The demo's sign-in lockout: django-axes' cache handler, with two changes (issue 19).

**A cache outage turns the lockout off, never sign-in (M1).** Axes' own cache handler lets the
cache client's connection error escape from ``authenticate()`` and from the sign-in signals, so
while Redis was down or paused every sign-in, and every password grant, was a 500. Here each
cache call that fails leaves the lockout out of that request, with a logged warning: the
password is still checked by the database (access fails closed), only the counting of failures
is off (throttling fails open), as perscom_oauth's token-endpoint throttle does (SECURITY.md,
"Outages"). Axes' database handler would have kept the lock during a Redis outage, but at the
price of a database write for every guess (and its request data) on the store that decides
access: a password spray would load exactly what must not fail. The counters stay in the cache.

Only the cache client's errors are caught (``CACHE_ERRORS``). Anything else, a bug in Axes or
here, is still an error, so it refuses the sign-in instead of silently dropping the lock.

**Failures are also counted per source address, across usernames (L2).** Axes' lock is per
username *and* address (``AXES_LOCKOUT_PARAMETERS``): one address spraying a few guesses at
each of many usernames never reaches it. So every failure also counts towards its address,
and ``SIGN_IN_FAILURES_PER_ADDRESS`` failures within ``AXES_COOLOFF_TIME`` refuse that
address, for any username, until the cool-off has passed without a failure (RFC 6749 §10.10:
the server must prevent the guessing of passwords; §4.3.2 asks the same of the password grant,
"using rate-limitation"). A counter of our own rather than Axes' ``"ip_address"`` parameter,
for two reasons: Axes compares every counter with the one ``AXES_FAILURE_LIMIT``, and its
``AXES_RESET_ON_SUCCESS`` clears the address's counter on any successful sign-in from it, so a
sprayer holding one valid account would reset it between guesses. This counter is never reset
by a success; it expires, or ``manage.py axes_reset_ip <address>`` clears it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from axes.checks import Codes, Hints, Messages
from axes.conf import settings
from axes.handlers.cache import AxesCacheHandler
from axes.helpers import (
    get_cache,
    get_cache_timeout,
    get_client_cache_keys,
    get_client_ip_address,
    get_client_username,
    get_failure_limit,
)
from axes.signals import user_locked_out
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache
    from django.http import HttpRequest

logger = logging.getLogger("project.lockout")

try:
    from redis.exceptions import RedisError
except ImportError:  # no Redis client installed: the in-process cache cannot be unreachable
    CACHE_ERRORS: tuple[type[Exception], ...] = (OSError,)
else:
    # RedisError covers refused connections, socket timeouts (a paused host) and refusals such
    # as LOADING, READONLY or OOM; OSError the socket errors a client does not wrap.
    CACHE_ERRORS = (RedisError, OSError)

#: Failures from one address, across usernames, before it is refused (project/settings.py).
DEFAULT_FAILURES_PER_ADDRESS = 50

T = TypeVar("T")


def failures_per_address() -> int:
    return int(getattr(settings, "SIGN_IN_FAILURES_PER_ADDRESS", DEFAULT_FAILURES_PER_ADDRESS))


def address_key(address: str | None) -> str:
    """The cache key of the failures from an address (hashed, as Axes' keys are). Requests
    without one (no REMOTE_ADDR) share one key: counted, rather than let through."""
    return "project-lockout:address:" + hashlib.sha256((address or "").encode()).hexdigest()


class SignInLockoutHandler(AxesCacheHandler):
    """``AXES_HANDLER`` of the demo: Axes' cache handler, failing open on a cache outage and
    counting failures per address too (see the module's docstring)."""

    def __init__(self) -> None:
        # No cache bound at construction (Axes' handler keeps the one of the thread that built
        # it, for the life of the process): ``cache`` looks it up on each use instead.
        pass

    @property
    def cache(self) -> BaseCache:
        cache: BaseCache = get_cache()
        return cache

    def _or_lockout_off(self, request: HttpRequest, call: Callable[[], T], fallback: T) -> T:
        """``call()``; ``fallback`` when the cache is unreachable, logged. After one failure a
        request makes no further cache call: a paused Redis costs one socket timeout, not one
        per call."""
        if getattr(request, "lockout_cache_unreachable", False):
            return fallback
        try:
            return call()
        except CACHE_ERRORS as error:
            request.lockout_cache_unreachable = True  # type: ignore[attr-defined]
            logger.warning(
                "sign-in lockout is off for this request from %s: the cache is unreachable (%s); "
                "the password is still checked, failed attempts are not counted",
                get_client_ip_address(request) or "an unknown address",
                error,
            )
            return fallback

    # --- the lock ---

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures: int = self._or_lockout_off(
            request, lambda: super(SignInLockoutHandler, self).get_failures(request, credentials), 0
        )
        return failures

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        user_keys = get_client_cache_keys(request, credentials)
        address = address_key(get_client_ip_address(request))
        # One round trip for both counters.
        counts: dict[str, Any] = self._or_lockout_off(
            request, lambda: self.cache.get_many([*user_keys, address]), {}
        )
        if max((counts.get(key, 0) for key in user_keys), default=0) >= get_failure_limit(
            request, credentials
        ):
            return True
        if counts.get(address, 0) >= failures_per_address():
            request.lockout_by_address = True  # type: ignore[attr-defined]  # the lockout page says why
            return True
        return False

    # --- counting ---

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        if request is None:  # Axes logs it and counts nothing
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        # The attributes Axes sets on the request (AxesProxyHandler.update_request), untyped.
        flagged: Any = request
        locked_before = flagged.axes_locked_out

        def count() -> None:
            super(SignInLockoutHandler, self).user_login_failed(sender, credentials, request, **kwargs)

        self._or_lockout_off(request, count, None)
        if getattr(request, "lockout_cache_unreachable", False) or self.is_whitelisted(request, credentials):
            return
        if locked_before and not settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT:
            return  # as Axes: a refused attempt does not extend the lockout
        total = self._or_lockout_off(request, lambda: self._count_address_failure(request), 0)
        if total < failures_per_address() or not settings.AXES_LOCK_OUT_AT_FAILURE:
            return
        flagged.lockout_by_address = True  # the lockout page says why
        if flagged.axes_locked_out:
            return  # already locked, and signalled, by username and address
        logger.warning("sign-in lockout: %s refused after %d failures", flagged.axes_ip_address, total)
        flagged.axes_locked_out = True  # AxesMiddleware answers with the lockout page
        flagged.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=flagged.axes_ip_address,
        )

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """Axes forgets the username's failures from this address (AXES_RESET_ON_SUCCESS);
        the address's own counter stays (see the module's docstring)."""

        def forget() -> None:
            super(SignInLockoutHandler, self).user_logged_in(sender, request, user, **kwargs)

        self._or_lockout_off(request, forget, None)

    def _count_address_failure(self, request: HttpRequest) -> int:
        key, timeout = address_key(get_client_ip_address(request)), get_cache_timeout(request)
        if self.cache.add(key, 1, timeout=timeout):
            return 1
        try:
            total = int(self.cache.incr(key))
        except ValueError:  # expired between add() and incr()
            self.cache.add(key, 1, timeout=timeout)
            return 1
        # Each failure starts the cool-off again, as Axes does with its own counters.
        self.cache.touch(key, timeout=timeout)
        return total

    def reset_attempts(
        self, *, ip_address: str | None = None, username: str | None = None, ip_or_username: bool = False
    ) -> int:
        """``manage.py axes_reset_ip <address>`` also clears that address's own counter."""
        count: int = super().reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
        if ip_address is not None and username is None:
            count += int(bool(self.cache.delete(address_key(ip_address))))
        return count


@register(Tags.security, Tags.caches)
def cache_handler_check(app_configs: object, **kwargs: object) -> list[CheckMessage]:
    """Axes' own warning (axes.W001) for a subclass of its cache handler: Axes checks
    ``AXES_HANDLER`` by name, so with this handler a cache that every process does not share
    (in-process, file or dummy), which counts each process's failures apart, went unnoticed."""
    handler = getattr(settings, "AXES_HANDLER", "")
    if handler == "axes.handlers.cache.AxesCacheHandler":  # Axes warns itself
        return []
    try:
        handler_class = import_string(handler)
    except ImportError:
        return []
    if not (isinstance(handler_class, type) and issubclass(handler_class, AxesCacheHandler)):
        return []
    backend = settings.CACHES.get(getattr(settings, "AXES_CACHE", "default"), {}).get("BACKEND", "")
    if backend not in UNSHARED_CACHES:
        return []
    return [CheckWarning(Messages.CACHE_INVALID, hint=Hints.CACHE_INVALID, id=Codes.CACHE_INVALID)]


#: The cache backends axes.W001 names: each process (or none) counts on its own.
UNSHARED_CACHES = frozenset(
    {
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    }
)
