"""The one function through which every revocation goes: the RFC 7009 endpoint, the admin, the
user's "Authorized applications" page, application suspension and reuse detection all call
``revoke()``.

Revoking a refresh token deletes its access token and revokes its whole rotation family;
revoking an access token also revokes its refresh token (RFC 7009 §2.1: otherwise the refresh
token could mint a new one at once); unused authorization codes of the same scope are deleted,
and so are device grants (RFC 8628) not yet exchanged, pending or approved: their device then
gets ``invalid_grant``. All of it in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connections, transaction
from django.db.models import Case, F, Model, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_refresh_token_model,
)

from ..audit import Actor, Event, record
from ..cache import generations

if TYPE_CHECKING:
    from datetime import datetime
    from typing import NotRequired, TypedDict, Unpack

    from django.http import HttpRequest

    from ..typing import (
        AccessTokenModel,
        AnyUser,
        Application,
        Grant,
        OAuthlibRequest,
        Organization,
        RefreshToken,
        RefreshTokenModel,
    )

    class AuditArguments(TypedDict):
        """Who revokes, and why: ``revoke``'s audit arguments, passed on by its shortcuts."""

        actor_type: str
        actor: NotRequired[AnyUser | None]
        request: NotRequired[HttpRequest | OAuthlibRequest | None]
        reason: NotRequired[str]


@dataclass(frozen=True)
class Revoked:
    access_tokens: int = 0
    refresh_tokens: int = 0
    codes: int = 0
    device_grants: int = 0

    @property
    def total(self) -> int:
        return self.access_tokens + self.refresh_tokens + self.codes + self.device_grants


def revoke(
    *,
    organization: Organization | int | None,
    access_tokens: QuerySet[AccessTokenModel] | None = None,
    refresh_tokens: QuerySet[RefreshTokenModel] | None = None,
    codes: QuerySet[Grant] | None = None,
    device_grants: QuerySet[Model] | None = None,
    actor_type: str,
    actor: AnyUser | None = None,
    application: Application | None = None,
    subject: AnyUser | None = None,
    request: HttpRequest | OAuthlibRequest | None = None,
    reason: str = "",
) -> Revoked:
    access_model, refresh_model = get_access_token_model(), get_refresh_token_model()
    access_tokens = access_tokens if access_tokens is not None else access_model.objects.none()
    refresh_tokens = refresh_tokens if refresh_tokens is not None else refresh_model.objects.none()
    codes = codes if codes is not None else get_grant_model().objects.none()
    device_grants = device_grants if device_grants is not None else get_device_grant_model().objects.none()
    with transaction.atomic():
        if organization is not None:
            # The organization's generation moves with the revocation's commit, in the database
            # (first: the lock order of every transaction that moves one). A cache that is not
            # told (unreachable, restored from a snapshot, a process that died) still stops
            # serving these tokens within GENERATION_SECONDS; the tokens' nonces stop it at once.
            generations.bump(
                [organization if isinstance(organization, int) else organization.pk], publish=False
            )
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
        # (validators.retire_refresh_token). Race-free on PostgreSQL; SQLite serializes writers.
        list(refresh_model.objects.select_for_update().filter(chosen).order_by("pk").values_list("pk"))
        live_refresh = refresh_model.objects.filter(chosen, revoked__isnull=True)
        deleted = _delete_access_tokens(
            access_model.objects.filter(
                Q(pk__in=access_tokens.values("pk")) | Q(pk__in=live_refresh.values("access_token_id"))
            )
        )
        # Chosen again: those bound to an access token just deleted no longer match `chosen`.
        refresh_count = _mark_revoked(
            refresh_model.objects.filter(chosen | Q(access_token__in=[pk for pk, _checksum in deleted])), now
        )
        code_count, _ = codes.delete()
        device_count, _ = device_grants.delete()
    access_count = len(deleted)
    result = Revoked(access_count, refresh_count, code_count, device_count)
    if result.total:
        # The device grants' count only when there are some: the entries' shape is unchanged.
        extra = {"device_grants": device_count} if device_count else {}
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
            **extra,
        )
    return result


def retire_rotated(refresh_token: RefreshToken) -> bool:
    """A rotation's revocation (RFC 6749 §6): the refresh token being used is revoked and its
    access token deleted, in two statements; False, with nothing changed, when it is no longer
    live (another request rotated or revoked it since it was read). The UPDATE locks the row
    and checks it at once: on PostgreSQL a concurrent one waits for this transaction and then
    finds it revoked. Not audited: the rotation's own event (``token_refreshed``) says it."""
    now = timezone.now()
    retired = (
        get_refresh_token_model()
        .objects.filter(pk=refresh_token.pk, revoked__isnull=True)
        .update(revoked=now, updated=now, access_token=None)
    )
    if not retired:
        return False
    if refresh_token.access_token_id is not None:
        _delete_access_tokens(get_access_token_model().objects.filter(pk=refresh_token.access_token_id))
    return True


def _delete_access_tokens(access_tokens: QuerySet[AccessTokenModel]) -> list[tuple[int, str]]:
    """Delete the tokens in one statement (the foreign keys that point at them are cleared by
    ``_mark_revoked`` in the same transaction; Django's constraints are checked at commit) and
    mark their cached state stale, which the queryset ``delete()`` signals would have done (no
    ``post_delete`` is sent for them: the CHANGELOG says so). Returns (pk, checksum) of each."""
    connection = connections[access_tokens.db]
    model = access_tokens.model
    if connection.vendor in ("postgresql", "sqlite") and connection.features.can_return_columns_from_insert:
        # DELETE ... RETURNING (SQLite 3.35+, like RETURNING on insert)
        quote = connection.ops.quote_name
        try:
            selected, params = access_tokens.values("pk").query.sql_with_params()
        except EmptyResultSet:  # nothing can match (only codes are revoked)
            return []
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        # Names quoted by the backend, values parametrized by Django's compiler.
        statement = (
            f"DELETE FROM {table} WHERE {pk} IN ({selected}) RETURNING {pk}, {quote('token_checksum')}"  # noqa: S608
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            deleted = [(row[0], row[1]) for row in cursor.fetchall()]
    else:
        deleted = list(access_tokens.values_list("pk", "token_checksum"))
        model.objects.filter(pk__in=[pk for pk, _checksum in deleted]).delete()
    generations.forget_tokens(value for _pk, value in deleted if value)
    return deleted


def _mark_revoked(refresh_tokens: QuerySet[RefreshTokenModel], now: datetime) -> int:
    """Revoke the live ones, and clear the pointer of every one to its deleted access token
    (as the base library's ``revoke()`` does)."""
    try:
        with transaction.atomic():
            return refresh_tokens.filter(Q(revoked__isnull=True) | Q(access_token__isnull=False)).update(
                revoked=Coalesce("revoked", Value(now)),
                updated=Case(When(revoked__isnull=True, then=Value(now)), default=F("updated")),
                access_token=None,
            )
    except IntegrityError:
        # The base library's uniqueness is (token_checksum, revoked): two live rows sharing a
        # checksum cannot take one timestamp (django-oauth-toolkit #1816). Row by row instead.
        count = 0
        token: RefreshToken  # a row of the base library's (untyped) model
        for token in refresh_tokens.filter(revoked__isnull=True):
            token.revoke()
            count += 1
        refresh_tokens.update(access_token=None)
        return count


def revoke_authorization(user: AnyUser, application: Application, **audit: Unpack[AuditArguments]) -> Revoked:
    """Everything a user granted an application: tokens, refresh tokens, unused codes, and
    device codes they approved that the device has not exchanged yet."""
    return revoke(
        organization=application.organization_id,
        access_tokens=get_access_token_model().objects.filter(user=user, application=application),
        refresh_tokens=get_refresh_token_model().objects.filter(user=user, application=application),
        codes=get_grant_model().objects.filter(user=user, application=application),
        device_grants=get_device_grant_model().objects.filter(user=user, client_id=application.client_id),
        application=application,
        subject=user,
        **audit,
    )


def revoke_application(application: Application, **audit: Unpack[AuditArguments]) -> Revoked:
    """Every token and code of an application, device codes included (suspension, "revoke all")."""
    return revoke(
        organization=application.organization_id,
        access_tokens=get_access_token_model().objects.filter(application=application),
        refresh_tokens=get_refresh_token_model().objects.filter(application=application),
        codes=get_grant_model().objects.filter(application=application),
        device_grants=get_device_grant_model().objects.filter(client_id=application.client_id),
        application=application,
        **audit,
    )


__all__ = ["Actor", "Revoked", "retire_rotated", "revoke", "revoke_application", "revoke_authorization"]
