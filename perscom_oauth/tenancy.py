"""Which organization a request is for: resolved once per request from its host.

The organization travels from the Django request to django-oauth-toolkit's validator inside
the oauthlib request's headers (see ``backends.OAuthLibCore``), under a key no HTTP header
can produce: WSGI turns every client header into ``HTTP_*``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.request import split_domain_port

ORGANIZATION_KEY = "perscom_oauth.organization"
_CACHE_ATTRIBUTE = "_perscom_oauth_organization"


def organization_for_request(request: HttpRequest) -> Any | None:
    """The organization whose dashboard answers at this request's host (port ignored), or None.

    ``request.get_host()`` enforces ``ALLOWED_HOSTS``: a disallowed host is a 400 from Django.
    A DRF ``Request`` is unwrapped, so the answer is cached once per HTTP request.
    """
    request = getattr(request, "_request", request)
    try:
        return getattr(request, _CACHE_ATTRIBUTE)
    except AttributeError:
        pass
    from .adapter import get_adapter

    hostname, _port = split_domain_port(request.get_host())
    organization = get_adapter().organization_for_host(hostname)
    setattr(request, _CACHE_ATTRIBUTE, organization)
    return organization


def gated_organization(request: HttpRequest) -> Any:
    """The organization of a request that passed ``gates.TenantGateMixin`` (so never None)."""
    organization = organization_for_request(request)
    if organization is None:
        raise LookupError("gated_organization() outside a tenant-gated view")
    return organization


def organization_of(oauthlib_request: Any) -> Any | None:
    """The organization attached to an oauthlib request by our backend, or None."""
    headers = getattr(oauthlib_request, "headers", None) or {}
    return headers.get(ORGANIZATION_KEY)
