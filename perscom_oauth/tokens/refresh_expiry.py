"""When an unrevoked refresh token stops working: one rule for the token endpoint (the
validator), ``cleanup_oauth`` (``purge``) and the admin's status column and filter.

It is expired when any of these holds (RFC 9700 §4.14.2 for the first two):

- **idle**: it was issued more than its application's idle lifetime ago
  (``refresh_token_idle_lifetime``, else ``REFRESH_TOKEN_IDLE_SECONDS``); rotation issues a new
  one on every use, so ``created`` is the last use;
- **absolute**: its rotation family began more than the absolute lifetime ago
  (``refresh_token_absolute_lifetime``, else ``REFRESH_TOKEN_ABSOLUTE_SECONDS``), however often
  it was refreshed;
- **the base library's own**: it has no access token any more, or its access token expired
  more than ``REFRESH_TOKEN_EXPIRE_SECONDS`` ago.

Each comes twice, as a ``Q`` for querysets (annotated by ``with_family_start``) and as a check of
one row; ``tests/test_refresh_expiry.py`` holds the three users to the same answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from oauth2_provider.models import get_application_model, get_refresh_token_model
from oauth2_provider.settings import oauth2_settings

from ..conf import oauth_settings

if TYPE_CHECKING:
    from ..typing import AccessToken, Application, RefreshToken, RefreshTokenModel

#: The annotation ``with_family_start`` adds: when the token's rotation family began.
FAMILY_STARTED = "family_started"

#: (application field, setting) of each of our two lifetimes.
IDLE = ("refresh_token_idle_lifetime", "REFRESH_TOKEN_IDLE_SECONDS")
ABSOLUTE = ("refresh_token_absolute_lifetime", "REFRESH_TOKEN_ABSOLUTE_SECONDS")


def lifetime(application: Application, which: tuple[str, str]) -> timedelta:
    field, setting = which
    seconds = getattr(application, field, None) or getattr(oauth_settings, setting)
    return timedelta(seconds=seconds)


def outlived(token: RefreshToken, family_started: datetime, now: datetime) -> bool:
    """Past the idle or the absolute lifetime (the validator's part: the base library has
    checked its own limits by then)."""
    application = token.application
    return (
        token.created + lifetime(application, IDLE) <= now
        or family_started + lifetime(application, ABSOLUTE) <= now
    )


def is_expired(token: RefreshToken, family_started: datetime, now: datetime) -> bool:
    """The whole rule for one unrevoked token (its ``access_token`` loaded)."""
    if token.access_token_id is None:
        return True
    age = oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS
    # access_token_id is not None: the access token is there.
    if age and cast("AccessToken", token.access_token).expires + timedelta(seconds=age) <= now:
        return True
    return outlived(token, family_started, now)


def with_family_start(queryset: QuerySet[RefreshTokenModel]) -> QuerySet[RefreshTokenModel]:
    """``queryset`` of refresh tokens annotated with ``family_started`` (one subquery)."""
    first = (
        get_refresh_token_model()
        .objects.filter(token_family=OuterRef("token_family"))
        .order_by("created")
        .values("created")[:1]
    )
    annotated: QuerySet[RefreshTokenModel] = queryset.annotate(
        **{FAMILY_STARTED: Coalesce(Subquery(first), F("created"))}
    )
    return annotated


def expired(now: datetime) -> Q:
    """The whole rule for querysets annotated by ``with_family_start``: unrevoked and expired."""
    rule = _older_than("created", IDLE, now) | _older_than(FAMILY_STARTED, ABSOLUTE, now)
    rule |= Q(access_token__isnull=True)
    if oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS:
        age = timedelta(seconds=oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS)
        rule |= Q(access_token__expires__lte=now - age)
    return Q(rule, revoked__isnull=True)


def _older_than(field: str, which: tuple[str, str], now: datetime) -> Q:
    """Rows whose ``field`` is older than their application's lifetime, one term per lifetime
    in use (a handful: they are set by hand), so that the database can use its indexes."""
    name, setting = which
    in_use = (
        get_application_model()
        .objects.filter(**{f"{name}__gt": 0})
        .order_by()
        .values_list(name, flat=True)
        .distinct()
    )
    default = timedelta(seconds=getattr(oauth_settings, setting))
    rule = Q(
        Q(**{f"application__{name}__isnull": True}) | Q(**{f"application__{name}": 0}),
        **{f"{field}__lte": now - default},
    )
    for seconds in in_use:
        rule |= Q(**{f"application__{name}": seconds, f"{field}__lte": now - timedelta(seconds=seconds)})
    return rule
