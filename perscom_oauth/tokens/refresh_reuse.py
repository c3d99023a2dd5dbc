"""A refresh token that is no longer live, presented again: a duplicate or reuse
(RFC 9700 §4.14.2).

The validator asks only about the *presenting client's own* tokens. oauthlib has authenticated
that client (or, for a public client, identified it by its client_id, RFC 6749 §2.1) before it
asks, and a refresh token is bound to the client it was issued to (RFC 6749 §6, §10.4): for any
other client it is an unknown token. So nobody can revoke a session on the word of a client
that is not its own, another organization's or a public one (issue 19 M4), as the base
library's check did (it revokes the family before it compares the client).

For the own client:

- **duplicate**: rotated less than ``PERSCOM_OAUTH["REFRESH_TOKEN_DUPLICATE_SECONDS"]`` ago (two
  tabs, a retry). Refused; the family it rotated into stays live. As in the base library's grace
  period, only a token superseded by a rotation qualifies, never one revoked on purpose (RFC 7009
  §2.1). Unlike it, nothing is handed out again: the base library's grace period returns the
  previous pair, which checksum storage cannot, so its own setting stays 0 (``defaults``).
- **reuse**: anything later. With ``REFRESH_TOKEN_REUSE_PROTECTION`` the whole family is
  revoked through ``tokens.revocation.revoke``, which audits it in the token's organization, and the
  reuse itself is recorded once (``refresh_token_reused``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.settings import oauth2_settings

from ..audit import Actor, Event, record
from ..conf import oauth_settings
from ..hashing import checksum
from .revocation import revoke

if TYPE_CHECKING:
    from ..typing import Application, OAuthlibRequest, RefreshToken

#: The ``reason`` of the revocation's audit event (``tokens_revoked``).
REASON = "refresh_token_reuse"


def revoked_token(value: str, client: Application) -> RefreshToken | None:
    """The revoked refresh token ``value`` of ``client`` (the most recently revoked row: the
    base library's uniqueness is (checksum, revoked)), or None."""
    token: RefreshToken | None = (
        get_refresh_token_model()
        .objects.filter(token_checksum=checksum(value), application=client, revoked__isnull=False)
        .select_related("user")
        .order_by("-revoked")
        .first()
    )
    if token is not None:
        token.application = client
    return token


def duplicate_window() -> timedelta:
    """How long after its rotation a refresh token presented again is a duplicate (``purge``
    keeps rotated tokens that long too)."""
    return timedelta(seconds=oauth_settings.REFRESH_TOKEN_DUPLICATE_SECONDS)


def is_duplicate(token: RefreshToken, now: datetime) -> bool:
    """Rotated within the duplicate window: the client's own repeat, not reuse."""
    if token.revoked is None or token.revoked <= now - duplicate_window():
        return False
    # Superseded (an access token was minted from it), not revoked on purpose.
    return bool(get_access_token_model().objects.filter(source_refresh_token=token).exists())


def revoke_family(token: RefreshToken, request: OAuthlibRequest) -> None:
    """Reuse: revoke the token's rotation family, audited in the token's organization."""
    if not oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION or token.token_family is None:
        return
    application = token.application
    revoked = revoke(
        organization=application.organization_id,
        # revoke() revokes the whole rotation family of this (already revoked) token.
        refresh_tokens=get_refresh_token_model().objects.filter(pk=token.pk),
        actor_type=Actor.SYSTEM,
        application=application,
        subject=token.user,
        request=request,
        reason=REASON,
    )
    if revoked.total:  # once: a family already revoked is not revoked again
        record(
            Event.REFRESH_TOKEN_REUSED,
            organization=application.organization_id,
            actor_type=Actor.CLIENT,
            application=application,
            subject=token.user,
            request=request,
        )
