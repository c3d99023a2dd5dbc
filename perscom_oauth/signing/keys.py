"""Which key signs an organization's ID tokens, and which keys its JWKS publishes.

Every answer is read from the database at the moment it is needed (one indexed query), never
cached: a key's state is a function of the clock and its row (``models``), the same in every
process, and a JWKS is already cached where it matters, by relying parties for
``OIDC_JWKS_MAX_AGE_SECONDS`` (the response's ``Cache-Control``).

The global ``OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]`` (and ``OIDC_RSA_PRIVATE_KEYS_INACTIVE``)
is the *legacy* key. Without a key-encryption key it signs every RS256 ID token, as before. With
one, it is every organization's implicit first RS256 key: it signs until the organization's own
first key has been published for the publication delay, and stays published until the tokens it
signed have expired, so switching per-organization keys on never breaks a relying party.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.apps import apps
from django.db import transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from ..conf import oauth_settings, organization_model_label
from . import encryption
from .models import Algorithm, SigningKey, published_q, signing_q

if TYPE_CHECKING:
    from ..typing import Organization

#: Relying parties accept a token a little after its ``exp`` (clock skew; RFC 7519 §4.1.4 allows
#: "a small leeway"): a key stays published this much longer than its last token lives.
CLOCK_SKEW_SECONDS = 300

#: ``SigningKey.signed_until`` is written this far past the ``exp`` that moved it, so that a key
#: signing continuously writes its row about once a minute, not once a token.
SIGNED_UNTIL_STEP = timedelta(seconds=60)


class SigningKeyUnavailable(Exception):
    """The organization's signing key cannot be used now (its KEK is missing): a 503, not a 500."""


@dataclass(frozen=True)
class Signer:
    """The private key that signs now, with the ``kid`` its tokens carry and its row (None for
    the legacy global key)."""

    key: jwk.JWK
    kid: str
    row: SigningKey | None = None


def supported_algorithms() -> list[str]:
    """The ID-token algorithms that work on this install, for discovery's
    ``id_token_signing_alg_values_supported``: ES256 only with per-organization keys."""
    if encryption.managed():
        return [Algorithm.RS256.value, Algorithm.ES256.value]
    return [Algorithm.RS256.value] if oauth2_settings.OIDC_RSA_PRIVATE_KEY else []


def publication_seconds() -> int:
    """How long a new key is published before it signs. By default the JWKS response's
    ``max-age`` plus its ``stale-while-revalidate`` (both ``OIDC_JWKS_MAX_AGE_SECONDS``): every
    cache that followed them has fetched the new JWKS by then."""
    configured = oauth_settings.SIGNING_KEY_PUBLICATION_SECONDS
    return 2 * int(oauth2_settings.OIDC_JWKS_MAX_AGE_SECONDS) if configured is None else configured


def longest_id_token_seconds(organization: Organization) -> int:
    """The longest an ID token of ``organization`` lives (an application may set its own)."""
    longest = (
        get_application_model()
        .objects.filter(organization=organization)
        .aggregate(longest=Max("id_token_lifetime"))["longest"]
    )
    return max(int(oauth2_settings.ID_TOKEN_EXPIRE_SECONDS), longest or 0)


# --- the legacy global key ----------------------------------------------------------------------


def legacy_pems() -> list[str]:
    if not oauth2_settings.OIDC_RSA_PRIVATE_KEY:
        return []
    return [oauth2_settings.OIDC_RSA_PRIVATE_KEY, *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE]


def public_entry(key: jwk.JWK, algorithm: str, kid: str) -> dict[str, Any]:
    """A JWKS entry (RFC 7517 §4): the public key only, for signatures, with its algorithm."""
    return {"alg": algorithm, "use": "sig", "kid": kid, **key.export_public(as_dict=True)}


def legacy_entries() -> list[dict[str, Any]]:
    entries = []
    for pem in legacy_pems():
        key = jwk.JWK.from_pem(pem.encode())
        entries.append(public_entry(key, Algorithm.RS256, key.thumbprint()))
    return entries


def legacy_published(organization: Organization, now: datetime) -> bool:
    """Whether tokens the legacy key signed for ``organization`` may still be live: it has no
    RS256 key of its own, or its first one has not signed for longer than any token lives."""
    if not legacy_pems():
        return False
    if not encryption.managed():
        return True
    first = SigningKey.objects.filter(organization=organization, algorithm=Algorithm.RS256).order_by(
        "active_from"
    )
    first_from = first.values_list("active_from", flat=True).first()
    if first_from is None:
        return True
    return now < first_from + timedelta(seconds=longest_id_token_seconds(organization) + CLOCK_SKEW_SECONDS)


# --- organization keys ---------------------------------------------------------------------------


def generate(algorithm: str) -> jwk.JWK:
    """A new private key: RSA 2048 bits for RS256 (RFC 7518 §3.3), P-256 for ES256 (§3.4)."""
    if algorithm == Algorithm.ES256:
        return jwk.JWK.generate(kty="EC", crv="P-256")
    return jwk.JWK.generate(kty="RSA", size=2048)


def create_key(
    organization: Organization, algorithm: str, now: datetime, active_from: datetime
) -> SigningKey:
    """A new key, published at ``now``, signing from ``active_from``; stored encrypted."""
    private = generate(algorithm)
    kid = private.thumbprint()  # RFC 7638
    pem = private.export_to_pem(private_key=True, password=None)
    return SigningKey.objects.create(
        organization=organization,
        kid=kid,
        algorithm=algorithm,
        private_key=encryption.encrypt(pem),
        public_jwk=public_entry(private, algorithm, kid),
        published_at=now,
        active_from=active_from,
    )


def first_key_active_from(algorithm: str, now: datetime) -> datetime:
    """An organization's first key signs at once, unless the legacy key signs meanwhile: then
    after the publication delay, like any successor (``legacy_published``)."""
    if algorithm == Algorithm.RS256 and legacy_pems():
        return now + timedelta(seconds=publication_seconds())
    return now


def ensure_keys(organization: Organization, now: datetime) -> None:
    """Give ``organization`` a key of each algorithm it lacks (its first ones). Concurrent first
    requests are serialized on the organization's row; two keys would do no harm anyway."""
    with transaction.atomic():
        model = apps.get_model(organization_model_label())
        model._default_manager.select_for_update().filter(pk=organization.pk).first()
        have = set(
            SigningKey.objects.filter(published_q(now), organization=organization).values_list(
                "algorithm", flat=True
            )
        )
        for algorithm in Algorithm.values:
            if algorithm not in have:
                create_key(organization, algorithm, now, first_key_active_from(algorithm, now))


def published_entries(organization: Organization) -> list[dict[str, Any]]:
    """The organization's JWKS ``keys``: each of its published keys, and the legacy keys while
    tokens they signed may be live. The first request creates the organization's first keys."""
    now = timezone.now()
    if not encryption.managed():
        return legacy_entries()
    rows = list(SigningKey.objects.filter(published_q(now), organization=organization))
    if {row.algorithm for row in rows} != set(Algorithm.values):
        ensure_keys(organization, now)
        rows = list(SigningKey.objects.filter(published_q(now), organization=organization))
    entries = [row.public_jwk for row in rows]
    return entries + (legacy_entries() if legacy_published(organization, now) else [])


def signer(organization: Organization, algorithm: str) -> Signer:
    """The key that signs ``organization``'s ID tokens of ``algorithm`` now (RS256 or ES256).

    Raises ``SigningKeyUnavailable`` when it cannot be decrypted (a missing KEK, which system
    check ``perscom_oauth.E035`` reports at start-up)."""
    now = timezone.now()
    row = _signing_row(organization, algorithm, now)
    if row is None:
        mine = SigningKey.objects.filter(published_q(now), organization=organization, algorithm=algorithm)
        if not mine.exists():
            ensure_keys(organization, now)
            row = _signing_row(organization, algorithm, now)
        if row is None:  # its first key is still being published: the legacy key signs meanwhile
            return _legacy_signer()
    try:
        pem = encryption.decrypt(row.private_key)
    except encryption.KeyEncryptionError as exc:
        raise SigningKeyUnavailable(
            f"Signing key {row.kid} of organization {organization.pk}: {exc}"
        ) from exc
    return Signer(private_key(pem), row.kid, row)


def private_key(pem: bytes) -> jwk.JWK:
    """A stored private key, loaded without cryptography's RSA consistency checks, which cost
    about 80 ms per RSA key (every RS256 ID token) and guard against malformed keys from
    outside: this one was generated here and is authenticated by its Fernet token."""
    return jwk.JWK.from_pyca(load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True))


def record_signed(signer: Signer, expires: datetime) -> None:
    """Before a token of ``signer`` that expires at ``expires`` is handed out: make sure its
    key's ``signed_until`` covers it, and, if the key is already superseded, that it stays
    published until then (plus the clock skew) whatever the lifetimes were at its rotation.

    One conditional UPDATE, only when ``expires`` passes what the row said when it was read
    (about once a ``SIGNED_UNTIL_STEP`` per key); the condition is evaluated on the current
    row, so concurrent writers and a concurrent rotation (which locks the row) only ever
    move both instants later."""
    row = signer.row
    if row is None or (row.signed_until is not None and expires <= row.signed_until):
        return
    bound = expires + SIGNED_UNTIL_STEP
    keep_until = bound + timedelta(seconds=CLOCK_SKEW_SECONDS)
    SigningKey.objects.filter(Q(signed_until__isnull=True) | Q(signed_until__lt=expires), pk=row.pk).update(
        signed_until=bound,
        retired_at=Case(
            When(retired_at__lt=keep_until, then=Value(keep_until)),
            default=F("retired_at"),  # NULL (still signing) or already later
        ),
    )


def _signing_row(organization: Organization, algorithm: str, now: datetime) -> SigningKey | None:
    return (
        SigningKey.objects.filter(signing_q(now), organization=organization, algorithm=algorithm)
        .order_by("-active_from", "-pk")
        .first()
    )


def _legacy_signer() -> Signer:
    pems = legacy_pems()
    if not pems:
        raise SigningKeyUnavailable("No signing key: set OIDC_RSA_PRIVATE_KEY or a key-encryption key.")
    key = jwk.JWK.from_pem(pems[0].encode())
    return Signer(key, key.thumbprint())


def verification_keys(organization: Organization) -> jwk.JWKSet:
    """Every public key of ``organization``'s JWKS, to verify an ID token it issued (an
    ``id_token_hint``: OIDC Core §3.1.2.1), whichever of its keys signed it."""
    keys = jwk.JWKSet()
    for entry in published_entries(organization):
        keys.add(jwk.JWK.from_json(json.dumps(entry)))
    return keys
