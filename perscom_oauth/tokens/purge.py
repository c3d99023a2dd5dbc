"""What ``manage.py cleanup_oauth`` deletes, and how: dead credentials and old audit entries, in
small batches, each its own short transaction, so that it can run while the site serves traffic.

Only what can no longer be used is deleted, and each batch re-checks its condition in the
``DELETE`` itself, so a row that came back to life between two statements is kept:

- refresh tokens that expired (``tokens.refresh_expiry``: the rule the token endpoint applies), and
  revoked ones once no live token of their family remains (until then they detect reuse,
  RFC 9700 §4.14.2, and date the start of the sign-in for its absolute lifetime);
- access tokens that expired and carry no live refresh token (the base library refuses a
  refresh token whose access token is gone);
- ID tokens of deleted access tokens once expired, and expired authorization codes;
- device codes (RFC 8628) expired for as long again as they lived: until then a device that
  still polls is told ``expired_token`` (§3.5), not that its code is unknown;
- code-replay records once nothing they issued is alive;
- audit events older than ``AUDIT_RETENTION_DAYS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.settings import oauth2_settings

from ..conf import oauth_settings
from ..models import AuditEvent, AuthorizationCodeUse
from . import refresh_expiry, refresh_reuse

if TYPE_CHECKING:
    from ..typing import AccessTokenModel, Grant, IDTokenModel, RefreshTokenModel


def dead_refresh_tokens(now: datetime) -> QuerySet[RefreshTokenModel]:
    model = get_refresh_token_model()
    live_sibling = model.objects.filter(token_family=OuterRef("token_family"), revoked__isnull=True)
    # A rotated token is kept for REFRESH_TOKEN_DUPLICATE_SECONDS: a repeat then is refused as a
    # duplicate, not taken as reuse.
    settled = now - refresh_reuse.duplicate_window()
    revoked = Q(revoked__lte=settled) & (Q(token_family__isnull=True) | ~Exists(live_sibling))
    return refresh_expiry.with_family_start(model.objects.all()).filter(revoked | refresh_expiry.expired(now))


def dead_access_tokens(now: datetime) -> QuerySet[AccessTokenModel]:
    live_refresh = get_refresh_token_model().objects.filter(access_token=OuterRef("pk"), revoked__isnull=True)
    tokens: QuerySet[AccessTokenModel] = get_access_token_model().objects.filter(
        ~Exists(live_refresh), expires__lte=now
    )
    return tokens


def dead_id_tokens(now: datetime) -> QuerySet[IDTokenModel]:
    tokens: QuerySet[IDTokenModel] = get_id_token_model().objects.filter(
        access_token__isnull=True, expires__lte=now
    )
    return tokens


def dead_codes(now: datetime) -> QuerySet[Grant]:
    codes: QuerySet[Grant] = get_grant_model().objects.filter(expires__lte=now)
    return codes


def dead_device_codes(now: datetime) -> QuerySet[Model]:
    settled = now - timedelta(seconds=oauth_settings.DEVICE_CODE_SECONDS)
    codes: QuerySet[Model] = get_device_grant_model().objects.filter(expires__lte=settled)
    return codes


def dead_code_uses(now: datetime) -> QuerySet[AuthorizationCodeUse]:
    tokens = get_access_token_model().objects.filter(token_checksum=OuterRef("access_token_checksum"))
    refresh = get_refresh_token_model().objects
    first = refresh.filter(token_checksum=OuterRef(OuterRef("refresh_token_checksum"))).values("token_family")
    live_family = refresh.filter(token_family__in=first, revoked__isnull=True)
    settled = now - timedelta(seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS)
    return AuthorizationCodeUse.objects.filter(~Exists(tokens), ~Exists(live_family), created__lte=settled)


def old_audit_events(now: datetime) -> QuerySet[AuditEvent]:
    days = oauth_settings.AUDIT_RETENTION_DAYS
    if days is None:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(created__lt=now - timedelta(days=days))


@dataclass(frozen=True)
class Step:
    name: str
    select: Callable[[datetime], QuerySet[Model]]


#: In dependency order: refresh tokens before the access tokens they keep alive.
STEPS = [
    Step("refresh tokens", dead_refresh_tokens),
    Step("access tokens", dead_access_tokens),
    Step("ID tokens", dead_id_tokens),
    Step("authorization codes", dead_codes),
    Step("device codes", dead_device_codes),
    Step("code-replay records", dead_code_uses),
    Step("audit events", old_audit_events),
]


def delete_in_batches(queryset: QuerySet[Model], batch_size: int, pause: float = 0.0) -> int:
    """Delete what ``queryset`` selects, ``batch_size`` rows per transaction; return the count."""
    label = queryset.model._meta.label
    total = 0
    while True:
        batch = list(queryset.order_by().values_list("pk", flat=True)[:batch_size])
        if not batch:
            return total
        # The condition is part of the DELETE: a row that changed since the SELECT is kept.
        _count, per_model = queryset.filter(pk__in=batch).delete()
        deleted = per_model.get(label, 0)
        total += deleted
        if len(batch) < batch_size or not deleted:
            return total
        if pause:
            time.sleep(pause)


def purge(
    *, batch_size: int = 1000, pause: float = 0.0, dry_run: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """Run every step; return how many rows each deleted (or would delete, with ``dry_run``)."""
    now = now or timezone.now()
    counts = {}
    for step in STEPS:
        queryset = step.select(now)
        counts[step.name] = queryset.count() if dry_run else delete_in_batches(queryset, batch_size, pause)
    return counts
