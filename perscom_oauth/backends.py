"""The django-oauth-toolkit backend (``OAUTH2_BACKEND_CLASS``): carries the organization."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from oauth2_provider import oauth2_backends

from .carried import ORGANIZATION_KEY, TOKEN_ENTRY_KEY, USER_KEY, Carried
from .tenancy import organization_for_request, prefetched_token


class OAuthLibCore(oauth2_backends.OAuthLibCore):
    def extract_headers(self, request: HttpRequest) -> dict[str, Any]:
        headers: dict[str, Any] = super().extract_headers(request)
        # Every validator decision (client lookup, bearer-token check) needs the tenant of
        # the request; this is the only path from the Django request into oauthlib's.
        headers[ORGANIZATION_KEY] = organization_for_request(request)
        headers[TOKEN_ENTRY_KEY] = Carried(prefetched_token(request))
        # Lazy: only OpenID Connect's silent requests look at it (no session read otherwise).
        headers[USER_KEY] = Carried(getattr(request, "user", None))
        return headers
