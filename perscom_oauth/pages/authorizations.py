"""Authorizations: what a user has granted an application, while it still holds something.

An authorization is an (application, user) pair with live credentials: an unexpired access
token, an unrevoked refresh token, or an unused authorization code. There is no row for it:
it is read from those three tables, in a fixed number of queries whatever the number of
pairs. The admin's "Authorizations" page and the user's "Authorized applications" page both
list them; ``tokens.revocation.revoke_authorization`` ends one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from ..http.numbers import primary_key
from ..scopes.registry import registry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..typing import AnyUser, Application, Organization, User

#: (application id, user id): the order of ``pairs()``, ``load()``, keys and ``parse_key``.
Pair = tuple[int, int]


@dataclass
class Authorization:
    user: User
    application: Application
    scopes: list[str] = field(default_factory=list)
    first_granted: datetime | None = None
    #: When a token was last issued or refreshed for this pair.
    last_used: datetime | None = None
    access_tokens: int = 0
    refresh_tokens: int = 0
    codes: int = 0

    @property
    def key(self) -> str:
        """Identifies the pair in a form (``"<application id>:<user id>"``)."""
        return f"{self.application.pk}:{self.user.pk}"

    @property
    def scope_descriptions(self) -> list[tuple[str, StrOrPromise]]:
        scopes = registry()
        return [(name, scopes[name].description if name in scopes else name) for name in self.scopes]


def parse_key(key: str) -> Pair | None:
    """(application id, user id) of a row's key (``Authorization.key``), or None. Each half goes
    through ``http.numbers.primary_key``: ``str.isdigit()`` accepts "²", which ``int()`` refuses (a
    500), and numbers past 64 bits, which SQLite refuses."""
    application_id, separator, user_id = key.partition(":")
    pair = (primary_key(application_id), primary_key(user_id))
    return (pair[0], pair[1]) if separator and pair[0] is not None and pair[1] is not None else None


def live_credentials(filters: Q) -> tuple[QuerySet[Any], QuerySet[Any], QuerySet[Any]]:
    """Live access tokens (of a user), refresh tokens and codes matching ``filters``, a ``Q``
    on the fields the three share (``user``, ``application``)."""
    now = timezone.now()
    access = get_access_token_model().objects.filter(
        filters, user__isnull=False, application__isnull=False, expires__gt=now
    )
    refresh = get_refresh_token_model().objects.filter(filters, revoked__isnull=True)
    codes = get_grant_model().objects.filter(filters, expires__gt=now)
    return access, refresh, codes


def pairs(filters: Q) -> QuerySet[Any]:
    """Every (application id, user id) with live credentials, as one ordered UNION query that
    can be counted and sliced (paginated) in the database."""
    access, refresh, codes = live_credentials(filters)
    columns = ("application_id", "user_id")
    return (
        access.order_by()
        .values_list(*columns)
        .union(refresh.order_by().values_list(*columns), codes.order_by().values_list(*columns))
        .order_by(*columns)
    )


def load(pair_list: Sequence[Pair]) -> list[Authorization]:
    """Details of these pairs, in their order: six queries however many there are."""
    if not pair_list:
        return []
    application_ids = {application_id for application_id, _user_id in pair_list}
    user_ids = {user_id for _application_id, user_id in pair_list}
    access, refresh, codes = live_credentials(Q(application_id__in=application_ids, user_id__in=user_ids))
    users = get_user_model()._default_manager.in_bulk(user_ids)
    applications = get_application_model().objects.select_related("organization").in_bulk(application_ids)
    found: dict[Pair, Authorization] = {}
    for application_id, user_id in pair_list:
        if user_id in users and application_id in applications:
            found[(application_id, user_id)] = Authorization(users[user_id], applications[application_id])

    def grouped(queryset: QuerySet[Any], scope: str) -> Iterable[dict[str, Any]]:
        # One row per pair and scope string: a pair's tokens share a handful of scope strings.
        rows: Iterable[dict[str, Any]] = (
            queryset.order_by()
            .values("application_id", "user_id", scope)
            .annotate(count=Count("pk"), first=Min("created"), last=Max("created"))
        )
        return rows

    for kind, queryset, scope in (
        ("access_tokens", access, "scope"),
        ("refresh_tokens", refresh, "access_token__scope"),
        ("codes", codes, "scope"),
    ):
        for row in grouped(queryset, scope):
            authorization = found.get((row["application_id"], row["user_id"]))
            if authorization is None:
                continue
            setattr(authorization, kind, getattr(authorization, kind) + row["count"])
            _add_scopes(authorization, row[scope] or "")
            _widen(authorization, row["first"], row["last"] if kind != "codes" else None)
    # A rotating refresh token is one of a family: the sign-in started with its first member.
    families = refresh.exclude(token_family=None).values("token_family")
    started = (
        get_refresh_token_model()
        .objects.filter(token_family__in=families)
        .order_by()
        .values("application_id", "user_id")
        .annotate(first=Min("created"))
    )
    for row in started:
        authorization = found.get((row["application_id"], row["user_id"]))
        if authorization is not None:
            _widen(authorization, row["first"], None)
    return list(found.values())


def _add_scopes(authorization: Authorization, scope: str) -> None:
    for name in scope.split():
        if name not in authorization.scopes:
            authorization.scopes.append(name)


def _widen(authorization: Authorization, first: datetime | None, last: datetime | None) -> None:
    if first is not None and (authorization.first_granted is None or first < authorization.first_granted):
        authorization.first_granted = first
    if last is not None and (authorization.last_used is None or last > authorization.last_used):
        authorization.last_used = last


def for_user(user: AnyUser, organization: Organization) -> list[Authorization]:
    """The applications of this organization the user has authorized, most recently used first."""
    found = load(list(pairs(Q(user=user, application__organization=organization))))
    epoch = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    return sorted(found, key=lambda a: a.last_used or a.first_granted or epoch, reverse=True)
