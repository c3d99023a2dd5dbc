"""Which organization a request is for: resolved once per request from its host. It travels on
to django-oauth-toolkit's validator inside the oauthlib request (``carried``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpRequest
from django.http.request import split_domain_port

from . import token_cache
from .adapter import get_adapter
from .digest import checksum
from .http_auth import bearer_token

if TYPE_CHECKING:
    from .typing import Organization

_CACHE_ATTRIBUTE = "_perscom_oauth_organization"
_PREFETCH_ATTRIBUTE = "_perscom_oauth_token_entry"


def organization_for_request(request: HttpRequest) -> Organization | None:
    """The organization whose dashboard answers at this request's host (port ignored), or None.

    ``request.get_host()`` enforces ``ALLOWED_HOSTS``: a disallowed host is a 400 from Django.
    A DRF ``Request`` is unwrapped, so the answer is computed once per HTTP request. With a
    bearer token, its cached state is fetched in the same cache round trip
    (``prefetched_token``).
    """
    request = getattr(request, "_request", request)
    try:
        return cast("Organization | None", getattr(request, _CACHE_ATTRIBUTE))
    except AttributeError:
        pass
    hostname, _port = split_domain_port(request.get_host())
    organization = _resolve(request, hostname.lower().rstrip("."))
    setattr(request, _CACHE_ATTRIBUTE, organization)
    return organization


def _resolve(request: HttpRequest, hostname: str) -> Organization | None:
    adapter = get_adapter()
    if not adapter.host_cacheable():
        return adapter.organization_for_host(hostname)
    keys = [token_cache.host_key(hostname)]
    value = bearer_token(request.headers)
    if value:
        keys.append(token_cache.token_key(checksum(value)))
    found = token_cache.get_many(keys)
    if len(keys) == 2:
        setattr(request, _PREFETCH_ATTRIBUTE, found.get(keys[1], token_cache.MISS))
    cached = found.get(keys[0], token_cache.MISS)
    if token_cache.usable(cached):
        return cast("Organization", cached)
    organization = adapter.organization_for_domain(hostname)
    if organization is None:
        # A host no Domain names: the fallback is not cached (it names no host to invalidate).
        return adapter.default_organization()
    token_cache.store(keys[0], organization, token_cache.HOST_SECONDS, cached)
    return organization


def prefetched_token(request: HttpRequest) -> object:
    """The cache entry of the request's bearer token fetched with its host, or ``MISS``."""
    request = getattr(request, "_request", request)
    return getattr(request, _PREFETCH_ATTRIBUTE, token_cache.MISS)


def gated_organization(request: HttpRequest) -> Organization:
    """The organization of a request that passed ``gates.TenantGateMixin`` (so never None)."""
    organization = organization_for_request(request)
    if organization is None:
        raise LookupError("gated_organization() outside a tenant-gated view")
    return organization
