"""The audit trail: ``record()`` writes one append-only ``AuditEvent`` and sends ``audit_event``
once the row is committed, so a receiver (a webhook, a SIEM forwarder) never sees an event whose
row was rolled back.

A receiver can never break the response: by then the transaction has committed (a refresh
token rotated, a revocation done), and an error escaping into the response would lose that
result for the client, which retries (a rotated refresh token, presented again, revokes its
whole family as reuse: RFC 9700 §4.14.2). Each receiver's error is logged, with its traceback,
on the ``perscom_oauth.audit`` logger, and the other receivers still get the event.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from django.db import transaction

from .models import AuditEvent
from .signals import audit_event

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .typing import AnyUser, Application, ApplicationModel, OAuthlibRequest, Organization, User

Event = AuditEvent.Event
Actor = AuditEvent.Actor

logger = logging.getLogger("perscom_oauth.audit")


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
        application=cast("ApplicationModel | None", application),  # the model, for the ORM
        client_id=getattr(application, "client_id", "") or "",
        subject=subject.get_username() if subject is not None else "",
        ip_address=client_ip(request) if request is not None else None,
        details=details,
    )
    # robust=True as well: should anything in sending fail, the transaction's other on-commit
    # work (publishing the generations a revocation moved) still runs.
    transaction.on_commit(lambda: send(entry), robust=True)
    return entry


def send(entry: AuditEvent) -> None:
    """Send ``audit_event`` to every receiver; one that raises is logged, never propagated."""
    for receiver, result in audit_event.send_robust(sender=AuditEvent, event=entry):
        if isinstance(result, Exception):
            logger.error(
                "perscom_oauth: an audit_event receiver (%s) failed on event %s (%s)",
                getattr(receiver, "__qualname__", repr(receiver)),
                entry.pk,
                entry.event,
                exc_info=result,
            )
