"""An organization's registration policy, read once per request, and what it allows.

An organization without a ``RegistrationPolicy`` row has the default one: both paths off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http.request import validate_host

from ..models import RegistrationPolicy
from ..scopes.registry import registry

if TYPE_CHECKING:
    from ..typing import Organization

MetadataDocuments = RegistrationPolicy.MetadataDocuments
Registration = RegistrationPolicy.Registration


def policy_of(organization: Organization) -> RegistrationPolicy:
    """The organization's policy; an unsaved default (everything off) when it has none."""
    found = RegistrationPolicy.objects.filter(organization=organization).first()
    return found if found is not None else RegistrationPolicy(organization=organization)


def document_domains(policy: RegistrationPolicy) -> list[str]:
    """The listed domains in ``ALLOWED_HOSTS`` syntax ("example.com", ".example.com")."""
    return [line.lower().rstrip(".") for line in policy.metadata_document_domains.split()]


def document_host_listed(policy: RegistrationPolicy, host: str) -> bool:
    """Whether a metadata document at ``host`` may be fetched under a "listed domains" policy.

    Django's ``validate_host`` reads "*" as any host; an administrator who lists "*" means
    "any", which is the "approval" policy's job, so a bare "*" is never honoured here.
    """
    domains = [domain for domain in document_domains(policy) if domain != "*"]
    return bool(host) and validate_host(host.lower(), domains)


def scope_cap(policy: RegistrationPolicy) -> set[str]:
    """The most a self-registered client may request: the policy's scopes that exist."""
    return set(policy.allowed_scopes.split()) & set(registry())


def capped_scopes(policy: RegistrationPolicy, requested: str | None) -> str:
    """``allowed_scopes`` for a self-registered client asking for ``requested`` (RFC 7591 §2
    ``scope``; None: it did not say, so the whole cap). Scopes outside the cap are dropped:
    the registration response returns what was granted (RFC 7591 §3.2.1)."""
    cap = scope_cap(policy)
    wanted = cap if requested is None else set(requested.split()) & cap
    return " ".join(sorted(wanted))
