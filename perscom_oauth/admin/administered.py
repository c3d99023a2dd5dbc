"""Which organizations a staff user administers: the boundary of everything they see in the admin.

Superusers administer every organization. Any other active staff user administers the
organizations where their ``Membership`` has ``is_admin`` set, and nothing else: the admin's
querysets, forms, actions and autocomplete are all narrowed to these organizations.
"""

from __future__ import annotations

from django.http import HttpRequest

from ..adapter import get_adapter
from ..routers import primary_reads

_CACHE_ATTRIBUTE = "_perscom_oauth_administered"


def administered(request: HttpRequest) -> frozenset[int] | None:
    """The adapter's ``administered_organization_ids`` for the request's user, computed once per request (an
    admin page asks many times: permissions of every model, every row, every action)."""
    try:
        known: frozenset[int] | None = getattr(request, _CACHE_ATTRIBUTE)
        return known
    except AttributeError:
        pass
    with primary_reads():  # a permission: the primary's, even on a list page that may be stale
        ids = get_adapter().administered_organization_ids(request.user)
    setattr(request, _CACHE_ATTRIBUTE, ids)
    return ids


def administers(request: HttpRequest, organization_id: int | None) -> bool:
    ids = administered(request)
    return ids is None or organization_id in ids


def administers_any(request: HttpRequest) -> bool:
    ids = administered(request)
    return ids is None or bool(ids)
