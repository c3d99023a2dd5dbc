"""The django-oauth-toolkit backend (``OAUTH2_BACKEND_CLASS``): carries the organization."""

from __future__ import annotations

from django.http import HttpRequest
from oauth2_provider import oauth2_backends

from ..carried import ORGANIZATION_KEY, TOKEN_ENTRY_KEY, USER_KEY, Carried
from ..http.responses import NO_STORE
from ..tenancy.hosts import organization_for_request, prefetched_token


class OAuthLibCore(oauth2_backends.OAuthLibCore):
    def extract_headers(self, request: HttpRequest) -> dict[str, object]:
        # request.META, copied: WSGI's values and ours (the oauthlib request's headers).
        headers: dict[str, object] = super().extract_headers(request)
        # Every validator decision (client lookup, bearer-token check) needs the tenant of
        # the request; this is the only path from the Django request into oauthlib's.
        headers[ORGANIZATION_KEY] = organization_for_request(request)
        headers[TOKEN_ENTRY_KEY] = Carried(prefetched_token(request))
        # Lazy: only OpenID Connect's silent requests look at it (no session read otherwise).
        headers[USER_KEY] = Carried(getattr(request, "user", None))
        return headers

    def create_token_response(self, request: HttpRequest) -> tuple[str | None, dict[str, str], str, int]:
        uri, headers, body, status = super().create_token_response(request)
        if uri is None and status >= 400 and "Content-Type" not in headers:
            # An error raised while the token is saved (a code or refresh token used
            # concurrently, validators.py) escapes oauthlib's handler; the base library then
            # answers with the error's own headers, none for a 400. RFC 6749 §5.2 wants JSON,
            # and §5.1 no caching.
            headers = {"Content-Type": "application/json", **NO_STORE, **headers}
        return uri, headers, body, status
