"""``SigningKey``: one organization's key for one algorithm, and where it is in its life.

A key's life is four instants, each a column, so its state at any moment is a comparison and
never a stored flag that a clock could make wrong (every process agrees, nothing to cache):

- ``published_at``: in the organization's JWKS from then on (RFC 7517 §5);
- ``active_from``: signs from then on. Later than ``published_at`` by the publication delay
  when it replaces a key, so that every relying party's cached JWKS holds it before its first
  token (OIDC Core §10.1.1);
- ``superseded_at``: its successor's ``active_from``; it signs nothing from then on;
- ``retired_at``: out of the JWKS from then on, once every token it signed has expired;
  its private key is then erased (``rotation.rotate``).

``signed_until`` bounds the ``exp`` of every token the key has signed (``keys.record_signed``),
so that retirement follows the tokens actually signed, not the lifetime configured today: a
lifetime lowered before a rotation, or raised while the old key still signs, never retires a
key that a live token names.

The private key is stored only as a Fernet token (``encryption``); the public JWK in clear.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..conf import organization_model_label


class Algorithm(models.TextChoices):
    """The asymmetric ID-token algorithms an organization keeps a key for (RFC 7518 §3.1)."""

    RS256 = "RS256", _("RSA with SHA-2 256")
    ES256 = "ES256", _("ECDSA P-256 with SHA-2 256")


class State(models.TextChoices):
    PENDING = "pending", _("Published, not signing yet")
    ACTIVE = "active", _("Signing")
    RETIRING = "retiring", _("Published, no longer signing")
    RETIRED = "retired", _("Retired")


# One rule, one function: each state as a query and as a check of one row, side by side.


def published_q(now: datetime) -> Q:
    return Q(published_at__lte=now) & (Q(retired_at__isnull=True) | Q(retired_at__gt=now))


def signing_q(now: datetime) -> Q:
    return (
        Q(active_from__lte=now)
        & (Q(superseded_at__isnull=True) | Q(superseded_at__gt=now))
        & published_q(now)
    )


def state_q(state: str, now: datetime) -> Q:
    """The keys in ``state`` at ``now``: ``SigningKey.state`` as a query."""
    if state == State.RETIRED:
        return Q(retired_at__lte=now)
    if state == State.ACTIVE:
        return signing_q(now)
    if state == State.PENDING:
        return published_q(now) & Q(active_from__gt=now)
    return published_q(now) & Q(active_from__lte=now, superseded_at__lte=now)


class SigningKey(models.Model):
    organization = models.ForeignKey(
        organization_model_label(),
        on_delete=models.CASCADE,
        related_name="signing_keys",
        verbose_name=_("organization"),
    )
    # The RFC 7638 thumbprint of the public key: what an ID token's `kid` names.
    kid = models.CharField(_("key ID"), max_length=64, unique=True, editable=False)
    algorithm = models.CharField(_("algorithm"), max_length=5, choices=Algorithm.choices, editable=False)
    # A Fernet token (encryption.encrypt) of the PKCS#8 PEM; empty once retired.
    private_key = models.TextField(_("encrypted private key"), blank=True, editable=False)
    public_jwk = models.JSONField(_("public key"), editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"))
    active_from = models.DateTimeField(_("signs from"))
    superseded_at = models.DateTimeField(_("signs until"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    signed_until = models.DateTimeField(_("tokens expire by"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["algorithm", "-active_from", "-pk"]
        indexes = [models.Index(fields=["organization", "algorithm", "active_from"])]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return f"{self.algorithm} {self.kid}"

    def is_published(self, now: datetime) -> bool:
        return self.published_at <= now and (self.retired_at is None or self.retired_at > now)

    def is_signing(self, now: datetime) -> bool:
        return (
            self.active_from <= now
            and (self.superseded_at is None or self.superseded_at > now)
            and self.is_published(now)
        )

    def state(self, now: datetime) -> State:
        if not self.is_published(now) and self.published_at <= now:
            return State.RETIRED
        if self.is_signing(now):
            return State.ACTIVE
        return State.PENDING if self.active_from > now else State.RETIRING
