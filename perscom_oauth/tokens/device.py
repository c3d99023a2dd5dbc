"""The device authorization grant (RFC 8628) per organization: its user codes, the device grants
of an organization, what a poll is answered, and the grant's single use.

The base library's ``DeviceGrant`` rows name their client by ``client_id``; an organization's
grants are those of its applications (``of_organization``), so a code entered or polled at one
organization's host never finds another's. A device code is stored as its SHA-256 checksum,
like tokens and authorization codes (RFC 9700 §4.14): ``stored`` is the one place that turns a
presented code into what is stored. Its views look codes up across every tenant and
answer a poll from the row's status alone; ours (``views.device``, ``views.oauth.TokenView``)
use the functions here instead.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import (
    AbstractApplication,
    AbstractDeviceGrant,
    get_application_model,
    get_device_grant_model,
)
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from ..carried import organization_of
from ..hashing import checksum
from ..http.headers import client_id_of
from ..http.responses import oauth_error
from ..tenancy.device_throttle import poll_too_soon
from ..tenancy.hosts import organization_for_request

if TYPE_CHECKING:
    from ..typing import Application, OAuthlibRequest, Organization, User

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
#: An application's ``authorization_grant_type`` for it (the same URN in the base library).
APPLICATION_GRANT: str = AbstractApplication.GRANT_DEVICE_CODE

#: RFC 8628 §6.1: base-20 consonants, case-insensitive, nothing to confuse (no vowels, so no
#: words either). Eight of them, 20^8 ≈ 2^34.6 codes: with DEVICE_CODE_ATTEMPTS wrong entries
#: per member and per source address per THROTTLE_WINDOW_SECONDS, the chance that a guesser
#: with one address finds any of N live codes within a code's lifetime (DEVICE_CODE_SECONDS,
#: 600 s: 2 windows, 20 guesses) is 20 * N / 20^8, about 1 in 1.3 billion per live code
#: (§5.1: "sufficiently large ... for the lifetime").
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
NOT_IN_CODE = re.compile(r"[\s\-]+")


def generate_user_code() -> str:
    """A user code as the device shows it: ``WDJB-MJHT`` (§6.1: dashes help reading it)."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(USER_CODE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(value: str) -> str | None:
    """What a member typed, as stored (upper case, without dashes and spaces), or None when it
    cannot be a code (§6.1: case-insensitive, punctuation ignored)."""
    code = NOT_IN_CODE.sub("", value or "").upper()
    if len(code) != USER_CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def display_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == USER_CODE_LENGTH else code


#: The base library's states of a device grant.
PENDING: str = AbstractDeviceGrant.AUTHORIZATION_PENDING
AUTHORIZED: str = AbstractDeviceGrant.AUTHORIZED
DENIED: str = AbstractDeviceGrant.DENIED
EXPIRED: str = AbstractDeviceGrant.EXPIRED


class DeviceGrant(Protocol):
    """The base library's ``DeviceGrant`` (untyped there): the fields read here."""

    pk: int
    client_id: str
    user_code: str
    scope: str
    status: str
    expires: datetime
    user: User | None


def device_grant_model() -> type[Model]:
    model: type[Model] = get_device_grant_model()
    return model


def of_organization(organization: Organization | int | None) -> QuerySet[Model]:
    """The device grants of an organization's applications."""
    applications = get_application_model().objects.filter(organization=organization)
    return device_grant_model()._default_manager.filter(client_id__in=applications.values("client_id"))


def stored(device_code: str) -> str:
    """What the ``device_code`` column holds for a presented code."""
    return checksum(device_code)


def set_device_user(request: OAuthlibRequest) -> None:
    """The device grant's pre-token hook (oauthlib runs it before authenticating the client),
    in place of the base library's ``set_oauthlib_user_to_device_request_user``, which looks the
    raw code up in every tenant and raises ``DoesNotExist`` (a 500) for an unknown one: the
    grant by its stored code at this organization, with its user, in one query; the user and
    the scopes it was approved for go on the request. Whether it may give tokens is the
    validator's (``validate_grant_type``, then ``claim``)."""
    organization = organization_of(request)
    rows = of_organization(organization).select_related("user")
    found = (
        rows.filter(device_code=stored(device_code_of(request))).first() if organization is not None else None
    )
    grant = cast("DeviceGrant | None", found)
    if grant is None:
        raise errors.InvalidGrantError(
            description=_("Unknown, used or revoked device code."), request=request
        )
    request.user = grant.user
    request.scopes = grant.scope.split() if grant.scope else []


def device_code_of(request: OAuthlibRequest) -> str:
    """The ``device_code`` of a token request, as oauthlib parsed its body."""
    body = getattr(request, "decoded_body", None) or ()
    return str(dict(body).get("device_code", ""))


# --- polling (RFC 8628 §3.4, §3.5) ------------------------------------------------------------


@dataclass(frozen=True)
class PollState:
    status: str
    expires: datetime
    #: The client's type: a confidential client is authenticated before it learns anything.
    client_type: str


def poll_state(device_code: str, client_id: str, organization: Organization) -> PollState | None:
    """The device grant of this code, of this client of this organization, in one statement
    (the unique index on ``device_code``); None if there is none (unknown, another client's or
    another organization's, or already used: ``claim``)."""
    application = get_application_model().objects.filter(
        organization=organization, client_id=OuterRef("client_id"), enabled=True
    )
    rows = (
        device_grant_model()
        ._default_manager.filter(device_code=stored(device_code), client_id=client_id)
        .annotate(client_type=Subquery(application.values("client_type")[:1]))
        .filter(client_type__isnull=False)
        .values_list("status", "expires", "client_type")[:1]
    )
    found = list(rows)
    return PollState(*found[0]) if found else None


def refusal(state: PollState | None, now: datetime) -> tuple[str, str] | None:
    """RFC 8628 §3.5's answer to a poll, as (error, description), or None: authorized."""
    if state is None:
        # §3.5: the other error codes are RFC 6749 §5.2's; an unknown or spent code is invalid.
        return "invalid_grant", _("Unknown, used or revoked device code.")
    if state.status == EXPIRED or state.expires <= now:
        return "expired_token", _("The device code has expired; start again.")
    if state.status == DENIED:
        return "access_denied", _("The user denied the request.")
    if state.status == PENDING:
        return "authorization_pending", _("The user has not approved the request yet.")
    return None


def poll_refusal(request: HttpRequest) -> JsonResponse | None:
    """A device's poll at the token endpoint answered before the base library runs, or None to
    go on to it (an authorized code; a confidential client, which the validator authenticates
    before it learns the state: ``server.validator``). ``slow_down`` costs no SQL; every other
    answer one indexed statement."""
    device_code = request.POST.get("device_code", "")
    if not device_code:
        return oauth_error(400, "invalid_request", _("Missing device_code parameter."))
    organization = organization_for_request(request)
    if organization is None:  # TenantGateMixin refused it already
        return oauth_error(404, "invalid_request", _("Unknown organization."))
    interval = oauth2_settings.DEVICE_FLOW_INTERVAL
    if poll_too_soon(organization.pk, device_code, interval):
        # §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent
        # requests": the client adds them; we only refuse anything faster than `interval`.
        return oauth_error(
            400, "slow_down", _("Polling too fast: wait %(seconds)s seconds.") % {"seconds": interval + 5}
        )
    client_id = client_id_of(request.headers, request.POST)
    state = poll_state(device_code, client_id, organization) if client_id else None
    if state is not None and state.client_type != get_application_model().CLIENT_PUBLIC:
        return None  # authenticated first, then answered: OAuth2Validator.validate_grant_type
    refused = refusal(state, timezone.now())
    return oauth_error(400, *refused) if refused is not None else None


def user_code_taken(code: str, organization: Organization) -> bool:
    """Whether a live grant of this organization already has this (normalized) user code:
    then a new device is given another (§6.1: the code must identify one grant). One query."""
    live = of_organization(organization).filter(user_code=code, expires__gt=timezone.now())
    return live.filter(status__in=(PENDING, AUTHORIZED)).exists()


# --- the verification page (RFC 8628 §3.3) ----------------------------------------------------


def pending_grant(user_code: str, organization: Organization) -> tuple[DeviceGrant, Application] | None:
    """The live, pending device grant of this user code at this organization, with its
    (enabled) application; None for anything else (unknown, expired, decided, another
    organization's). Two statements: the grant, its application."""
    code = normalize_user_code(user_code)
    if code is None:
        return None
    grants = list(
        of_organization(organization).filter(user_code=code, status=PENDING, expires__gt=timezone.now())[:2]
    )
    if len(grants) != 1:  # none, or (against 20^8 odds) two live grants share the code: neither
        return None
    grant = cast("DeviceGrant", grants[0])
    application = (
        get_application_model().objects.filter(organization=organization, client_id=grant.client_id).first()
    )
    if application is None or not application.enabled:
        return None
    return grant, application


def decide(grant: DeviceGrant, user: User, scopes: list[str] | None) -> bool:
    """Approve (with the scopes granted) or deny (``scopes`` None) a pending grant, if it is
    still pending and live: one UPDATE that checks and changes at once, so a code is decided
    once (§3.3; a second member entering it later finds nothing)."""
    model = device_grant_model()
    changes: dict[str, object] = {"user": user, "status": DENIED}
    if scopes is not None:
        changes.update(status=AUTHORIZED, scope=" ".join(scopes))
    decided = model._default_manager.filter(pk=grant.pk, status=PENDING, expires__gt=timezone.now()).update(
        **changes
    )
    return bool(decided)


# --- the token (RFC 8628 §3.4) ---------------------------------------------------------------


def claim(device_code: str, client: Application) -> bool:
    """Spend an authorized device code for its own client, in the transaction that mints the
    tokens: the row is deleted, so the code is single-use (a second poll, or a concurrent one
    that waited on the row, deletes nothing and gets ``invalid_grant``; RFC 8628 §3.5 lets
    the code be used once: "the device authorization session has concluded")."""
    model = device_grant_model()
    deleted, _count = model._default_manager.filter(
        device_code=stored(device_code),
        client_id=client.client_id,
        status=AUTHORIZED,
        expires__gt=timezone.now(),
    ).delete()
    return bool(deleted)
