"""Which organization a request is for, and whether it may go on: everything decided before a
view runs.

Owns: ``hosts`` (the organization of a request's host, cached), ``gates`` (``TenantGateMixin``:
unknown host, plan, malformed parameters; RFC 6749 §5.2 refusals), ``throttle`` (client
authentication's brute-force budget per organization, client and source) and
``device_throttle`` (RFC 8628: a device polling too fast, wrong user codes per member and
source) and ``registration_throttle`` (RFC 7591: registrations per source and organization).

Must not: import views, pages, OpenID Connect or the admin; render a page (views people see
swap the JSON refusal for ``pages.errors.PageRefusalMixin``). ``organization_for_request`` is
re-exported here for host projects' own views.
"""

from .hosts import organization_for_request

__all__ = ["organization_for_request"]
