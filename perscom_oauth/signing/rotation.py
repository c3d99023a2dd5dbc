"""Key rotation (OIDC Core §10.1.1) and key-encryption-key rotation, for ``manage.py
rotate_signing_keys``.

A rotation of one organization's key of one algorithm, in one transaction:

1. a new key is published now and signs from ``now + publication_seconds()``: a relying party
   that caches the JWKS for at most that long has it before its first token;
2. the keys that sign now stop signing at that instant (``superseded_at``) and leave the JWKS
   once every token they can have signed has expired (``retired_at``): that instant plus the
   organization's longest ID-token lifetime plus ``CLOCK_SKEW_SECONDS``, or later if a token
   they signed expires later (``signed_until``: a lifetime since lowered). A token signed
   after this, under a lifetime raised meanwhile, moves ``retired_at`` itself
   (``keys.record_signed``);
3. the private keys of keys already retired are erased: nothing needs them any more, and their
   ciphertexts no longer depend on an old KEK.

While a new key is still waiting to sign, another rotation of the same algorithm changes
nothing (it would only retire a key that never signed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from ..conf import organization_model_label
from . import encryption
from .keys import (
    CLOCK_SKEW_SECONDS,
    create_key,
    first_key_active_from,
    longest_id_token_seconds,
    publication_seconds,
)
from .models import Algorithm, SigningKey, published_q, signing_q

if TYPE_CHECKING:
    from ..typing import Organization


@dataclass
class Rotation:
    """What one organization's rotation did, for the command's report."""

    created: list[SigningKey] = field(default_factory=list)
    superseded: list[SigningKey] = field(default_factory=list)
    in_progress: list[SigningKey] = field(default_factory=list)
    erased: int = 0


def rotate(organization: Organization, now: datetime | None = None) -> Rotation:
    """Start a rotation of each of ``organization``'s keys (see the module's docstring)."""
    now = now or timezone.now()
    done = Rotation()
    with transaction.atomic():
        model = apps.get_model(organization_model_label())
        model._default_manager.select_for_update().filter(pk=organization.pk).first()
        mine = SigningKey.objects.filter(organization=organization)
        done.erased = mine.filter(retired_at__lte=now).exclude(private_key="").update(private_key="")
        for algorithm in Algorithm.values:
            _rotate(organization, algorithm, now, done)
    return done


def _rotate(organization: Organization, algorithm: str, now: datetime, done: Rotation) -> None:
    keys = SigningKey.objects.filter(published_q(now), organization=organization, algorithm=algorithm)
    waiting = [key for key in keys if key.active_from > now]
    if waiting:
        done.in_progress += waiting
        return
    if not keys:  # its first key
        done.created.append(create_key(organization, algorithm, now, first_key_active_from(algorithm, now)))
        return
    successor = create_key(organization, algorithm, now, now + timedelta(seconds=publication_seconds()))
    done.created.append(successor)
    skew = timedelta(seconds=CLOCK_SKEW_SECONDS)
    last_token_expires = (
        successor.active_from + timedelta(seconds=longest_id_token_seconds(organization)) + skew
    )
    # Locked: a token being signed now moves signed_until after this commit, never under it.
    signing = list(keys.filter(signing_q(now)).exclude(pk=successor.pk).select_for_update())
    for key in signing:
        key.superseded_at = successor.active_from
        signed = key.signed_until + skew if key.signed_until else last_token_expires
        key.retired_at = max(last_token_expires, signed)
        key.save(update_fields=["superseded_at", "retired_at"])
    done.superseded += signing


def reencrypt_all() -> tuple[int, list[str]]:
    """Every stored private key re-encrypted with the first KEK: (how many, the kids that no
    configured KEK decrypts, left unchanged)."""
    changed, failed = 0, []
    for key in _stored_private_keys():
        try:
            ciphertext = encryption.reencrypt(key.private_key)
        except encryption.KeyEncryptionError:
            failed.append(key.kid)
            continue
        # One row at a time, each complete: an interrupted run leaves every key readable.
        SigningKey.objects.filter(pk=key.pk, private_key=key.private_key).update(private_key=ciphertext)
        changed += 1
    return changed, failed


def undecryptable(limit: int = 5) -> tuple[int, list[str]]:
    """How many stored private keys no configured KEK decrypts, and the first ``limit`` kids."""
    count, kids = 0, list[str]()
    for key in _stored_private_keys():
        try:
            encryption.decrypt(key.private_key)
        except encryption.KeyEncryptionError:
            count += 1
            if len(kids) < limit:
                kids.append(key.kid)
    return count, kids


#: Keys read per query by ``_stored_private_keys``: a few hundred kilobytes of ciphertext.
BATCH = 100


def _stored_private_keys() -> Iterator[SigningKey]:
    """Every key that still has its private key, a batch at a time in primary-key order: memory
    bounded like ``.iterator()``, without its server-side cursor, which does not survive from one
    transaction to the next behind PgBouncer in transaction mode (docs/deployment.md, "Connection
    pooling"). Each batch is one query of its own, so updating the rows read is safe."""
    last = None
    while True:
        stored = SigningKey.objects.exclude(private_key="").order_by("pk").only("pk", "kid", "private_key")
        batch = list((stored if last is None else stored.filter(pk__gt=last))[:BATCH])
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1].pk
