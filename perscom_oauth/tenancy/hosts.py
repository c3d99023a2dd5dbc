"""Which organization a request is for: resolved once per request from its host. It travels on
to django-oauth-toolkit's validator inside the oauthlib request (``carried``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpRequest
from django.http.request import split_domain_port

from ..adapter import get_adapter
from ..cache import entries, generations
from ..hashing import checksum
from ..http.headers import bearer_token

if TYPE_CHECKING:
    from ..typing import Organization

_CACHE_ATTRIBUTE = "_perscom_oauth_organization"
_LOOKUP_ATTRIBUTE = "_perscom_oauth_cache_lookup"


def organization_for_request(request: HttpRequest) -> Organization | None:
    """The organization whose dashboard answers at this request's host (port ignored), or None.

    ``request.get_host()`` enforces ``ALLOWED_HOSTS``: a disallowed host is a 400 from Django.
    A DRF ``Request`` is unwrapped, so the answer is computed once per HTTP request. With a
    bearer token, its cached state is fetched in the same cache round trip (``prefetched_token``).
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
    if not (adapter.caches_hosts and entries.enabled()):
        return adapter.organization_for_host(hostname)
    value = bearer_token(request.headers)
    lookup = entries.fetch(hostname, checksum(value) if value else None)
    setattr(request, _LOOKUP_ATTRIBUTE, lookup)
    organization = lookup.organization()
    if organization is not None:
        return organization
    if lookup.generation is None and lookup.epoch is not entries.MISSING_EPOCH:
        return _resolve_expired_generation(lookup, hostname)
    organization = adapter.organization_for_host(hostname)
    if organization is not None:
        lookup.store_organization(organization)
    return organization


def _resolve_expired_generation(lookup: entries.Lookup, hostname: str) -> Organization | None:
    """The cache's copy of the host's generation expired (or was never there): read the
    database's. An entry tagged with that same value is still valid (one query); otherwise the
    organization is read again, after the generation, and nothing about the host is stored
    under a generation read after it."""
    known = lookup.entry_organization()
    if known is not None:
        lookup.adopt_generation(generations.current(known), cached_before_reads=True)
        organization = lookup.organization()
        if organization is not None:
            return organization
    organization = get_adapter().organization_for_host(hostname)
    if organization is None:
        return None
    if known is not None and known.pk == organization.pk:
        lookup.store_organization(organization)  # read after the generation it is stored under
    else:
        lookup.adopt_generation(generations.current(organization), cached_before_reads=False)
    return organization


def prefetched_token(request: HttpRequest) -> object:
    """What the cache held for the request's bearer token (a ``entries.Lookup``, fetched
    with its host), or ``entries.MISS``."""
    request = getattr(request, "_request", request)
    return getattr(request, _LOOKUP_ATTRIBUTE, entries.MISS)


def gated_organization(request: HttpRequest) -> Organization:
    """The organization of a request that passed ``tenancy.gates.TenantGateMixin`` (so never None)."""
    organization = organization_for_request(request)
    if organization is None:
        raise LookupError("gated_organization() outside a tenant-gated view")
    return organization
