"""Initial access tokens (RFC 7591 §3): what lets a client register itself with an organization
whose policy is "with an initial access token".

An organization administrator issues one (the admin, ``admin.initial_tokens``; ``seed_demo``
for the demo) with a label, a lifetime and, optionally, a number of uses. ``issue`` returns the
raw value once; only its SHA-256 is stored (``hashing.checksum``, as access tokens are, RFC 9700
§4.14). A registration presents it as ``Authorization: Bearer <value>``; ``find`` reads it for
the host's organization only (a token of another organization is unknown here), and ``spend``
takes one use in one conditional UPDATE inside the registration's transaction, so two
concurrent registrations can never both spend the last use, and a registration that fails
after it gives the use back (its transaction rolls back).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from django.db.models import F, Q
from django.utils import timezone

from ..audit import Actor, Event, record
from ..hashing import checksum
from ..models import InitialAccessToken

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..typing import AnyUser, Organization, User

#: Bytes of randomness in a token's value (RFC 6750 §5.2; RFC 9700 §4.14: not guessable).
ENTROPY_BYTES = 32


def usable() -> Q:
    """The tokens that may still register a client: unexpired, with a use left (or unlimited).
    ``is_usable`` is the same rule for one row."""
    return Q(expires__gt=timezone.now()) & (Q(uses_left__isnull=True) | Q(uses_left__gt=0))


def is_usable(token: InitialAccessToken) -> bool:
    """``usable()`` for one row."""
    return token.expires > timezone.now() and (token.uses_left is None or token.uses_left > 0)


def issue(
    organization: Organization,
    *,
    label: str,
    lifetime: timedelta | int,
    uses: int | None = None,
    created_by: AnyUser | None = None,
    request: HttpRequest | None = None,
) -> str:
    """Issue an initial access token for ``organization``; return its value, the only time it
    is readable. ``lifetime``: a ``timedelta`` or seconds; ``uses``: registrations it allows
    (None: any number until it expires). Audited as ``initial_token_issued``, by ``created_by``
    (an administrator) or the system."""
    _token, value = issue_token(
        organization, label=label, lifetime=lifetime, uses=uses, created_by=created_by, request=request
    )
    return value


def issue_token(
    organization: Organization,
    *,
    label: str,
    lifetime: timedelta | int,
    uses: int | None = None,
    created_by: AnyUser | None = None,
    request: HttpRequest | None = None,
) -> tuple[InitialAccessToken, str]:
    """``issue``, with the row it stored (the admin shows it)."""
    seconds = lifetime.total_seconds() if isinstance(lifetime, timedelta) else lifetime
    if seconds <= 0:
        raise ValueError("An initial access token needs a lifetime of at least one second.")
    if uses is not None and uses < 1:
        raise ValueError("An initial access token needs at least one use (None: unlimited).")
    value = secrets.token_urlsafe(ENTROPY_BYTES)
    token = InitialAccessToken.objects.create(
        organization=organization,
        label=label,
        token_checksum=checksum(value),
        expires=timezone.now() + timedelta(seconds=seconds),
        uses_left=uses,
        created_by=cast(
            "User | None", created_by if getattr(created_by, "is_authenticated", False) else None
        ),
    )
    record_issued(token, created_by, request)
    return token, value


def record_issued(token: InitialAccessToken, actor: AnyUser | None, request: HttpRequest | None) -> None:
    record(
        Event.INITIAL_TOKEN_ISSUED,
        organization=token.organization_id,
        actor_type=Actor.ADMIN if getattr(actor, "is_authenticated", False) else Actor.SYSTEM,
        actor=actor,
        request=request,
        label=token.label,
        expires=token.expires.isoformat(),
        uses=token.uses_left,
    )


def find(organization: Organization, value: str) -> InitialAccessToken | None:
    """The usable token of ``organization`` whose value is ``value``, else None (unknown,
    another organization's, expired or used up: RFC 7591 §3 ``invalid_token`` alike)."""
    if not value:
        return None
    found: InitialAccessToken | None = (
        InitialAccessToken.objects.filter(usable(), token_checksum=checksum(value), organization=organization)
        .only("pk", "organization_id", "label")
        .first()
    )
    return found


def spend(token: InitialAccessToken) -> bool:
    """Take one use of ``token``: True if it had one. One conditional UPDATE (``uses_left - 1``
    only where ``usable()`` still holds; NULL, unlimited, stays NULL): on PostgreSQL a concurrent
    UPDATE of the same row waits for this one's transaction and re-reads the condition, so the
    last use is spent once. Call it inside the registration's transaction."""
    return bool(InitialAccessToken.objects.filter(usable(), pk=token.pk).update(uses_left=F("uses_left") - 1))
