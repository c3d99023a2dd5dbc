"""What our backend (``server.backend.OAuthLibCore``) carries from the Django request to
django-oauth-toolkit's validator inside the oauthlib request: the organization, the
prefetched token cache entry and the session's user, in its headers under keys no HTTP header
can produce (WSGI turns every client header into ``HTTP_*``). Models read it: it imports no
models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from .typing import OAuthlibRequest, Organization, User

ORGANIZATION_KEY = "perscom_oauth.organization"
#: The oauthlib request's header under which our backend carries the prefetched token entry.
TOKEN_ENTRY_KEY = "perscom_oauth.token_entry"
#: ... and the signed-in user, for OpenID Connect's silent requests (``prompt=none``).
USER_KEY = "perscom_oauth.user"


def organization_of(oauthlib_request: OAuthlibRequest) -> Organization | None:
    """The organization attached to an oauthlib request by our backend, or None (a request
    our backend did not build)."""
    headers = getattr(oauthlib_request, "headers", None) or {}
    return cast("Organization | None", headers.get(ORGANIZATION_KEY))


class Carried:
    """Carries a value through oauthlib's request headers untouched: oauthlib converts every
    iterable header value (a cache entry is a tuple) into text or a generator."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def token_entry_of(oauthlib_request: OAuthlibRequest, default: object) -> object:
    """The prefetched token cache entry attached by our backend, or ``default`` (the cache
    layer's ``MISS``: passed in, so this module, which models read, imports no cache)."""
    headers = getattr(oauthlib_request, "headers", None) or {}
    carried = headers.get(TOKEN_ENTRY_KEY)
    return carried.value if isinstance(carried, Carried) else default


def session_user_of(oauthlib_request: OAuthlibRequest) -> User | None:
    """The user signed in to the browser that sent the request (None when anonymous)."""
    headers = getattr(oauthlib_request, "headers", None) or {}
    carried = headers.get(USER_KEY)
    user = carried.value if isinstance(carried, Carried) else None
    return cast("User", user) if getattr(user, "is_authenticated", False) else None
