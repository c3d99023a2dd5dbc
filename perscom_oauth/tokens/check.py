"""The one place a presented access token is checked.

Every path that honours a token asks ``check_access_token``: DRF and ``@scopes_required``
(through ``check_bearer_request``), the validator's ``validate_bearer_token`` (userinfo) and
introspection. Only an
*access token* of this organization passes (RFC 6750 §2; RFC 9068 §4 and RFC 8725 §2.8 on
token confusion): an ID token, refresh token, authorization code or client secret is never
stored as an access token's checksum, so it is unknown here; nor is an RFC 7592 registration
access token, stored as an access token by the base library but a credential of the
registration endpoint only (``is_registration_token``). Then, in this order:

1. the host names an organization, and its plan includes OAuth 2.0 (a downgrade takes
   effect at once and deletes nothing);
2. the token exists, has not expired, and was issued to an enabled application of that
   organization;
3. a token with a user: the user is active and still a member (or superuser) there;
4. what it may do now: its effective scopes (``access.token_scopes``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from oauth2_provider.settings import oauth2_settings

from ..adapter import get_adapter
from ..cache import entries
from ..hashing import checksum
from ..http.challenges import Refusal
from ..http.headers import bearer_token
from ..scopes.effective import member_scopes, token_scopes
from ..tenancy.hosts import organization_for_request, prefetched_token

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..typing import AccessToken, Organization


def check_access_token(
    value: str,
    organization: Organization | None,
    uri: str | Callable[[], str] | None = None,
    cached: object = entries.MISS,
) -> AccessToken | Refusal:
    """The access token for ``value`` with ``scopes.effective`` set, or a ``Refusal``.

    ``uri`` is the requested resource (or a function building it, asked only for a token
    restricted to resources), checked against the token's RFC 8707 resources; None when the
    caller is not a resource (introspection: RFC 7662 §2.2 returns them as ``aud``). ``cached``
    is what the cache held for the token when the caller fetched it with the host
    (``tenancy.hosts.prefetched_token``): a valid entry answers without SQL; any other answer comes
    from the database and is stored under the values read before it (``cache.entries``)."""
    if organization is None:
        return Refusal(_("No organization answers at this host."))
    adapter = get_adapter()
    if not adapter.has_oauth(organization):
        return Refusal(adapter.plan_refusal_message(organization))
    if not value:
        return Refusal(_("The access token is invalid."))
    lookup = cached if isinstance(cached, entries.Lookup) else None
    token = lookup.token(organization) if lookup is not None else None
    if token is None:
        if lookup is not None:
            lookup.prepare_token_read()  # before the database read: what it reads may be stored
        checked = _check_in_database(value, organization)
        if isinstance(checked, Refusal):
            return checked
        token = checked
        if lookup is not None:
            lookup.store_token(token, organization.pk)
    if uri is not None and token.resource and not token.allows_audience(_resource(uri)):
        return Refusal(_("The access token is not valid for this resource."))
    return token


def check_bearer_request(request: HttpRequest) -> AccessToken | Refusal | None:
    """``check_access_token`` for a Django request's ``Authorization: Bearer`` header (RFC 6750
    §2.1, the only transport accepted): the token, a ``Refusal``, or None when the request
    presents no bearer token. Resource servers in this process (DRF, ``@scopes_required``)
    ask it directly: a hot token costs one cache round trip, without building an oauthlib
    request."""
    value = bearer_token(request.headers)
    if value is None:
        return None
    organization = organization_for_request(request)  # fetches the token's entry with the host
    return check_access_token(value, organization, request.build_absolute_uri, prefetched_token(request))


def _resource(uri: str | Callable[[], str]) -> str:
    return (uri if isinstance(uri, str) else uri()).split("?")[0]


def is_registration_token(token: AccessToken) -> bool:
    """Whether ``token`` is an RFC 7592 §3 registration access token (the base library stores it
    as an access token with ``DCR_REGISTRATION_SCOPE``). It manages one client's registration at
    the client configuration endpoint and is never an API credential (RFC 7592 §3: "used only"
    there): refused here, so no resource, userinfo or introspection (RFC 7662 §2.2 "active":
    false) honours it."""
    return oauth2_settings.DCR_REGISTRATION_SCOPE in token.scope.split()


def _check_in_database(value: str, organization: Organization) -> AccessToken | Refusal:
    token: AccessToken | None = (
        get_access_token_model()
        .objects.select_related("application", "user")
        .filter(token_checksum=checksum(value), application__organization=organization)
        .first()
    )
    if token is None or is_registration_token(token):
        return Refusal(_("The access token is invalid."))
    if token.is_expired():
        return Refusal(_("The access token has expired."))
    if not token.application.enabled:
        return Refusal(_("The application '%(name)s' is suspended.") % {"name": token.application})
    held = None if token.user_id is None else member_scopes(token.user, organization)
    if token.user_id is not None and held is None:
        return Refusal(
            _("The user is no longer an active member of %(organization)s.") % {"organization": organization}
        )
    token.effective_scopes = token_scopes(token, held)
    return token
