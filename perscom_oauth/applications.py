"""Domain actions on client applications, shared by the admin and any other UI.

A confidential client's secret is generated here, returned once in plain text, and stored
hashed (the base library hashes on save): it can never be shown again, only rotated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from oauth2_provider.generators import generate_client_secret

from .audit import Actor, Event, record
from .tokens.revocation import Revoked, revoke_application

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .typing import AnyUser, Application


def audit(event: str, application: Application, actor: AnyUser | None, request: HttpRequest | None) -> None:
    record(
        event,
        organization=application.organization,
        actor_type=Actor.ADMIN,
        actor=actor,
        application=application,
        request=request,
    )


def issue_secret(application: Application) -> str:
    """Give a confidential application a new secret; return it (the only time it is readable)."""
    secret: str = generate_client_secret()
    application.client_secret = secret
    application.hash_client_secret = True
    return secret


@transaction.atomic
def create_application(
    application: Application, *, actor: AnyUser | None = None, request: HttpRequest | None = None
) -> str | None:
    """Validate and save a new application; return its one-time secret (None for a public client).

    Raises ``ValidationError`` for an application that breaks a rule of ``Application.clean()``
    (a public Machine-to-Machine client, an organization without the plan, ...): every path
    that creates one goes through the model's rules, not only the admin's form.
    """
    secret = issue_secret(application) if application.client_type == application.CLIENT_CONFIDENTIAL else None
    application.full_clean()
    application.save()
    audit(Event.APPLICATION_CREATED, application, actor, request)
    return secret


@transaction.atomic
def rotate_secret(
    application: Application, *, actor: AnyUser | None = None, request: HttpRequest | None = None
) -> str:
    """Replace the secret: the old one stops working at once. Returns the new one."""
    secret = issue_secret(application)
    application.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    audit(Event.SECRET_ROTATED, application, actor, request)
    return secret


def set_enabled(
    application: Application,
    enabled: bool,
    *,
    actor: AnyUser | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Suspend or re-enable: a suspended application neither gets nor uses tokens (they are kept,
    and work again once it is re-enabled)."""
    if application.enabled == enabled:
        return
    application.enabled = enabled
    application.save(update_fields=["enabled", "updated"])
    audit(Event.APPLICATION_ENABLED if enabled else Event.APPLICATION_SUSPENDED, application, actor, request)


def revoke_all(
    application: Application, *, actor: AnyUser | None = None, request: HttpRequest | None = None
) -> Revoked:
    """Revoke every token, refresh token and unused code of the application."""
    return revoke_application(
        application, actor_type=Actor.ADMIN, actor=actor, request=request, reason="revoke all"
    )


@transaction.atomic
def approve(
    application: Application, *, actor: AnyUser | None = None, request: HttpRequest | None = None
) -> None:
    """Let a client that registered itself in (it was awaiting approval, or blocked)."""
    if application.review == application.Review.APPROVED:
        return
    application.review = application.Review.APPROVED
    application.save(update_fields=["review", "updated"])
    audit(Event.CLIENT_APPROVED, application, actor, request)


@transaction.atomic
def block(
    application: Application, *, actor: AnyUser | None = None, request: HttpRequest | None = None
) -> Revoked:
    """Block a client: it gets no more tokens (``Application.is_usable``), and every token it
    holds is revoked now. A metadata-document client stays blocked when its document changes."""
    application.review = application.Review.BLOCKED
    application.save(update_fields=["review", "updated"])
    audit(Event.CLIENT_BLOCKED, application, actor, request)
    return revoke_application(
        application, actor_type=Actor.ADMIN, actor=actor, request=request, reason="blocked"
    )
