"""The one function through which every revocation goes: the RFC 7009 endpoint, the admin, the
user's "Authorized applications" page, application suspension and reuse detection all call
``revoke()``.

Revoking a refresh token deletes its access token and revokes its whole rotation family;
revoking an access token also revokes its refresh token (RFC 7009 §2.1: otherwise the refresh
token could mint a new one at once); unused authorization codes of the same scope are deleted.
All of it in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from .audit import Actor, Event, record


@dataclass(frozen=True)
class Revoked:
    access_tokens: int = 0
    refresh_tokens: int = 0
    codes: int = 0

    @property
    def total(self) -> int:
        return self.access_tokens + self.refresh_tokens + self.codes


def revoke(
    *,
    organization: Any,
    access_tokens: QuerySet[Any] | None = None,
    refresh_tokens: QuerySet[Any] | None = None,
    codes: QuerySet[Any] | None = None,
    actor_type: str,
    actor: Any = None,
    application: Any = None,
    subject: Any = None,
    request: Any = None,
    reason: str = "",
) -> Revoked:
    access_model, refresh_model = get_access_token_model(), get_refresh_token_model()
    access_tokens = access_tokens if access_tokens is not None else access_model.objects.none()
    refresh_tokens = refresh_tokens if refresh_tokens is not None else refresh_model.objects.none()
    codes = codes if codes is not None else get_grant_model().objects.none()
    with transaction.atomic():
        now = timezone.now()
        # RFC 7009 §2.1, RFC 9700 §4.14.2: revoking any member of a rotating family (even one
        # already rotated) revokes the family.
        families = refresh_tokens.exclude(token_family=None).values("token_family")
        chosen = (
            Q(pk__in=refresh_tokens.values("pk"))
            | Q(access_token__in=access_tokens.values("pk"))
            | Q(token_family__in=families)
        )
        # Lock the rows first (refresh tokens before access tokens, in primary-key order, as a
        # rotation does): a rotation in flight finishes before the update below, whose fresh
        # snapshot then sees the pair it minted; one that starts later finds its token revoked
        # (validators.lock_refresh_token). Race-free on PostgreSQL; SQLite serializes writers.
        list(refresh_model.objects.select_for_update().filter(chosen).order_by("pk").values_list("pk"))
        live_refresh = refresh_model.objects.filter(chosen, revoked__isnull=True)
        bound_access = list(live_refresh.exclude(access_token=None).values_list("access_token_id", flat=True))
        refresh_count = _mark_revoked(live_refresh, now)
        access_count, _ = access_model.objects.filter(
            Q(pk__in=access_tokens.values("pk")) | Q(pk__in=bound_access)
        ).delete()
        code_count, _ = codes.delete()
    result = Revoked(access_count, refresh_count, code_count)
    if result.total:
        record(
            Event.TOKENS_REVOKED,
            organization=organization,
            actor_type=actor_type,
            actor=actor,
            application=application,
            subject=subject,
            request=request,
            access_tokens=access_count,
            refresh_tokens=refresh_count,
            codes=code_count,
            reason=reason,
        )
    return result


def _mark_revoked(refresh_tokens: QuerySet[Any], now: Any) -> int:
    try:
        with transaction.atomic():
            return refresh_tokens.update(revoked=now, updated=now)
    except IntegrityError:
        # The base library's uniqueness is (token_checksum, revoked): two live rows sharing a
        # checksum cannot take one timestamp (django-oauth-toolkit #1816). Row by row instead.
        count = 0
        for token in refresh_tokens:
            token.revoke()
            count += 1
        return count


def revoke_authorization(user: Any, application: Any, **audit: Any) -> Revoked:
    """Everything a user granted an application: tokens, refresh tokens, unused codes."""
    return revoke(
        organization=application.organization_id,
        access_tokens=get_access_token_model().objects.filter(user=user, application=application),
        refresh_tokens=get_refresh_token_model().objects.filter(user=user, application=application),
        codes=get_grant_model().objects.filter(user=user, application=application),
        application=application,
        subject=user,
        **audit,
    )


def revoke_application(application: Any, **audit: Any) -> Revoked:
    """Every token and code of an application (suspension, "revoke all")."""
    return revoke(
        organization=application.organization_id,
        access_tokens=get_access_token_model().objects.filter(application=application),
        refresh_tokens=get_refresh_token_model().objects.filter(application=application),
        codes=get_grant_model().objects.filter(application=application),
        application=application,
        **audit,
    )


__all__ = ["Actor", "Revoked", "revoke", "revoke_application", "revoke_authorization"]
