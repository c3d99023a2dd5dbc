"""A password change revokes every token of the user (issue 19, L4).

A token outlives the sign-in that granted it: without this, whoever had signed in with a
stolen password kept the access it had granted (and refresh tokens renew it for as long as
``REFRESH_TOKEN_EXPIRE_SECONDS``) after the owner changed the password to lock them out.
Keycloak can sign the user out of every other session (ending the tokens bound to them) when
the password is updated; Hydra's admin API revokes a subject's consent sessions and tokens. Here it
is always done, with no setting: changing a password is how a user shuts out whoever knew the
old one, and the tokens that person obtained are part of what must be shut. Every application
of the user, in every organization, through the one audited
``tokens.revocation.revoke_authorization`` (event ``tokens_revoked``, actor ``system``, reason
"password changed").

What counts as a change is the stored password hash changing, however it happens: the "change
password" page, the admin's form (which can also disable the password), ``set_password()``
then ``save()``, or an assignment to ``password``. Django's own ``set_password`` sends no
signal, so the user model's ``pre_save`` compares the hash with the stored one, and
``post_save`` revokes once the row is written. Not a change: Django rehashing a password it has
just verified under an outdated hasher or work factor (``check_password``'s setter, at each
sign-in and password grant after an upgrade of Django or of ``PASSWORD_HASHERS``), which
Django itself does not count as one (no ``password_changed`` call). Only the saves that may
write the password cost a query: one with ``update_fields`` that leaves it out (a sign-in's
``last_login``) costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from ..audit import Actor
from .revocation import Revoked, revoke_authorization

if TYPE_CHECKING:
    from ..typing import User

PASSWORD = "password"
REASON = "password changed"
# Set by pre_save on the instance being saved, read (and removed) by post_save.
_CHANGED = "_perscom_oauth_password_changed"


def is_rehash(user: User, stored: str, update_fields: Iterable[str] | None) -> bool:
    """Whether this save is Django's rehash of a verified password: ``check_password``'s setter
    calls ``set_password``, clears ``_password`` ("Password hash upgrades shouldn't be
    considered password changes") and saves the password alone; and it does so only when the
    stored hash's hasher is not the preferred one or ``must_update`` says its parameters are
    outdated. A ``set_password()`` by anyone else leaves ``_password`` set until the save."""
    if update_fields is None or set(update_fields) != {PASSWORD}:
        return False
    if getattr(user, "_password", None) is not None:
        return False
    try:
        hasher = identify_hasher(stored)
    except ValueError:  # an unusable or unknown hash: Django verifies nothing against it
        return False
    preferred = get_hasher()
    return hasher.algorithm != preferred.algorithm or bool(preferred.must_update(stored))


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="perscom_oauth.tokens.credentials.pre_save")
def _note_password_change(
    sender: type[User],
    instance: User,
    raw: bool = False,
    using: str | None = None,
    update_fields: Iterable[str] | None = None,
    **kwargs: object,
) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return  # a fixture being loaded, or a new user: no token to revoke yet
    if update_fields is not None and PASSWORD not in update_fields:
        return
    new = getattr(instance, PASSWORD, None)
    if new is None:  # a user model without a password
        return
    stored = (
        sender._default_manager.using(using).filter(pk=instance.pk).values_list(PASSWORD, flat=True).first()
    )
    if stored is None or stored == new or is_rehash(instance, stored, update_fields):
        return
    setattr(instance, _CHANGED, True)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="perscom_oauth.credentials.post_save")
def _revoke_on_password_change(sender: type[User], instance: User, **kwargs: object) -> None:
    if instance.__dict__.pop(_CHANGED, False):
        revoke_everything_of(instance, reason=REASON)


def revoke_everything_of(user: User, *, reason: str) -> Revoked:
    """Every token and unused code of ``user``, application by application (each audited
    once, in its organization), in one transaction. Only applications where something is
    still usable: tokens already revoked or expired leave no event."""
    now = timezone.now()
    applications = set(
        get_access_token_model()
        .objects.filter(user=user, expires__gt=now)
        .values_list("application", flat=True)
    )
    applications.update(
        get_refresh_token_model()
        .objects.filter(user=user, revoked=None)
        .values_list("application", flat=True)
    )
    applications.update(
        get_grant_model().objects.filter(user=user, expires__gt=now).values_list("application", flat=True)
    )
    # An access token without an application is never honoured (token_check): nothing to do.
    applications.discard(None)
    access_tokens = refresh_tokens = codes = 0
    with transaction.atomic():
        for application in get_application_model().objects.filter(pk__in=applications).order_by("pk"):
            revoked = revoke_authorization(user, application, actor_type=Actor.SYSTEM, reason=reason)
            access_tokens += revoked.access_tokens
            refresh_tokens += revoked.refresh_tokens
            codes += revoked.codes
    return Revoked(access_tokens, refresh_tokens, codes)
