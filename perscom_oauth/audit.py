"""The audit trail: ``record()`` writes one append-only ``AuditEvent`` and sends ``audit_event``
once the row is committed, so a receiver (a webhook, a SIEM forwarder) never sees an event whose
row was rolled back."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import transaction

from .models import AuditEvent
from .signals import audit_event

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .typing import AnyUser, Application, OAuthlibRequest, Organization, User

Event = AuditEvent.Event
Actor = AuditEvent.Actor


def client_ip(request: HttpRequest | OAuthlibRequest) -> str | None:
    """REMOTE_ADDR of a Django or oauthlib request (behind a proxy, set it with middleware)."""
    meta = getattr(request, "META", None) or getattr(request, "headers", None) or {}
    return meta.get("REMOTE_ADDR") or None


def record(
    event: str,
    *,
    organization: Organization | int | None,
    actor_type: str,
    actor: AnyUser | None = None,
    application: Application | None = None,
    subject: AnyUser | None = None,
    request: HttpRequest | OAuthlibRequest | None = None,
    **details: object,
) -> AuditEvent:
    """Write one audit event; ``subject`` is the user the event concerns (their username).
    ``organization`` is the organization or its primary key (no query to load it)."""
    entry = AuditEvent.objects.create(
        event=event,
        organization_id=getattr(organization, "pk", organization),
        actor_type=actor_type,
        actor=cast("User | None", actor if getattr(actor, "is_authenticated", False) else None),
        application=application,
        client_id=getattr(application, "client_id", "") or "",
        subject=subject.get_username() if subject is not None else "",
        ip_address=client_ip(request) if request is not None else None,
        details=details,
    )
    transaction.on_commit(lambda: audit_event.send(sender=AuditEvent, event=entry))
    return entry
