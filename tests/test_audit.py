"""The audit trail: every audited action leaves exactly one event, with the right actor,
organization, application and client IP, and sends it as a signal for hosts to forward."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import RefreshToken

from perscom_oauth.audit import Actor
from perscom_oauth.models import Application, AuditEvent, Organization
from perscom_oauth.signals import audit_event
from perscom_oauth.tokens.revocation import revoke_authorization
from tests.factories import REDIRECT_URI, SECRET, ApplicationFactory, OrganizationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db
Event = AuditEvent.Event


@pytest.fixture
def sent() -> Iterator[list[AuditEvent]]:
    """Every ``audit_event`` signal, as its receiver sees it."""
    received: list[AuditEvent] = []

    def receiver(sender: Any, *, event: AuditEvent, **kwargs: Any) -> None:
        assert event.pk is not None and AuditEvent.objects.filter(pk=event.pk).exists()
        received.append(event)

    audit_event.connect(receiver)
    yield received
    audit_event.disconnect(receiver)


def during(action: Callable[[], Any]) -> list[tuple[str, str, str | None]]:
    """The events the action wrote: (event, actor type, acting username)."""
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    action()
    new = AuditEvent.objects.filter(pk__gt=last).order_by("pk").select_related("actor")
    return [(e.event, e.actor_type, e.actor.get_username() if e.actor else None) for e in new]


def test_authorization_granted_and_denied(oauth: OAuthClient, member: Any, app: Application) -> None:
    assert during(lambda: oauth.authorize(member, app)) == [(Event.AUTHORIZATION_GRANTED, "user", "member")]
    entry = AuditEvent.objects.get()
    assert (entry.organization.slug, entry.application, entry.subject, entry.ip_address) == (
        "alpha",
        app,
        "member",
        "127.0.0.1",
    )

    def deny() -> None:
        client = oauth.client()
        client.force_login(member)
        params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT_URI}
        client.post("/oauth/authorize", {**params, "scope": "view:user", "approved_scopes": ["view:user"]})

    assert during(deny) == [(Event.AUTHORIZATION_DENIED, "user", "member")]


def test_token_issued_refreshed_and_reuse(oauth: OAuthClient, member: Any, app: Application) -> None:
    code, verifier = oauth.pkce_code(member, app)
    tokens: dict[str, Any] = {}
    assert during(lambda: tokens.update(oauth.exchange(app, code, code_verifier=verifier).json())) == [
        (Event.TOKEN_ISSUED, "client", None)
    ]
    issued = AuditEvent.objects.get(event=Event.TOKEN_ISSUED)
    assert (issued.subject, issued.client_id, issued.details["grant_type"]) == (
        "member",
        app.client_id,
        "authorization_code",
    )

    refresh = {"grant_type": "refresh_token", "client_id": app.client_id, "client_secret": SECRET}
    assert during(lambda: oauth.token(**refresh, refresh_token=tokens["refresh_token"])) == [
        (Event.TOKEN_REFRESHED, "client", None)
    ]
    # Past the grace period, in which a repeat is taken as the client's duplicate (RFC 9700 §4.14.2).
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(minutes=1))
    reuse = during(lambda: oauth.token(**refresh, refresh_token=tokens["refresh_token"]))
    assert (Event.REFRESH_TOKEN_REUSED, "client", None) in reuse
    assert [e for e in reuse if e[0] == Event.REFRESH_TOKEN_REUSED] == [
        (Event.REFRESH_TOKEN_REUSED, "client", None)
    ]
    replay = during(lambda: oauth.exchange(app, code, code_verifier=verifier))
    assert [e for e in replay if e[0] == Event.CODE_REPLAYED] == [(Event.CODE_REPLAYED, "client", None)]


def test_revocations_name_who_revoked(
    oauth: OAuthClient, member: Any, app: Application, org: Organization, admin: Client
) -> None:
    by_client = oauth.code_flow(member, app).json()
    assert during(
        lambda: oauth.client().post(
            "/oauth/revoke",
            {"token": by_client["access_token"]},
            HTTP_AUTHORIZATION=basic_auth(app.client_id),
        )
    ) == [(Event.TOKENS_REVOKED, "client", None)]

    oauth.code_flow(member, app)
    key = f"{app.pk}:{member.pk}"
    assert during(
        lambda: admin.post("/admin/perscom_oauth/application/authorizations/", {"revoke": key})
    ) == [(Event.TOKENS_REVOKED, "admin", "root")]

    oauth.code_flow(member, app)
    user_page = oauth.client()
    user_page.force_login(member)
    assert during(lambda: user_page.post("/oauth/authorized-apps", {"application": str(app.pk)})) == [
        (Event.TOKENS_REVOKED, "user", "member")
    ]
    revoked = AuditEvent.objects.filter(event=Event.TOKENS_REVOKED).order_by("pk")
    reasons = [entry.details["reason"] for entry in revoked]
    assert reasons == ["RFC 7009", "admin", "user"]


def test_application_lifecycle_by_an_admin(admin: Client, org: Organization) -> None:
    data = {
        "name": "Audited",
        "organization": str(org.pk),
        "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "allowed_scopes": ["*"],
        "algorithm": "",
    }
    assert during(lambda: admin.post("/admin/perscom_oauth/application/add/", data)) == [
        (Event.APPLICATION_CREATED, "admin", "root")
    ]
    application = Application.objects.get(name="Audited")
    base = f"/admin/perscom_oauth/application/{application.pk}"
    assert during(lambda: admin.post(f"{base}/rotate-secret/")) == [(Event.SECRET_ROTATED, "admin", "root")]
    assert during(lambda: admin.post(f"{base}/run/suspend/")) == [
        (Event.APPLICATION_SUSPENDED, "admin", "root")
    ]
    assert during(lambda: admin.post(f"{base}/run/enable/")) == [(Event.APPLICATION_ENABLED, "admin", "root")]
    assert during(lambda: admin.post(f"{base}/run/revoke_all_tokens/")) == []  # nothing to revoke
    assert set(AuditEvent.objects.values_list("application", flat=True)) == {application.pk}


def test_plan_refusals(admin: Client) -> None:
    basic = OrganizationFactory(slug="basic", name="Basic Unit", plan=Organization.Plan.BASIC)
    application = ApplicationFactory(organization=basic)
    token_endpoint = OAuthClient("basic.example.test")
    refused = during(
        lambda: token_endpoint.token(
            grant_type="client_credentials", client_id=application.client_id, client_secret=SECRET
        )
    )
    assert refused == [(Event.PLAN_REFUSED, "client", None)]
    data = {"name": "Nope", "organization": str(basic.pk), "allowed_scopes": ["*"]}
    assert during(lambda: admin.post("/admin/perscom_oauth/application/add/", data)) == [
        (Event.PLAN_REFUSED, "admin", "root")
    ]
    assert set(AuditEvent.objects.values_list("organization", flat=True)) == {basic.pk}


@pytest.mark.django_db(transaction=True)
def test_every_event_is_signalled_once(
    sent: list[AuditEvent], oauth: OAuthClient, member: Any, app: Application, admin: Client
) -> None:
    token = oauth.code_flow(member, app).json()
    oauth.revoke(app, token["access_token"])
    admin.post(f"/admin/perscom_oauth/application/{app.pk}/run/suspend/")

    stored = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    assert [event.pk for event in sent] == stored
    assert [event.event for event in sent] == [
        Event.AUTHORIZATION_GRANTED,
        Event.TOKEN_ISSUED,
        Event.TOKENS_REVOKED,
        Event.APPLICATION_SUSPENDED,
    ]


@pytest.mark.django_db(transaction=True)
def test_an_event_whose_transaction_rolls_back_is_not_signalled(
    sent: list[AuditEvent], oauth: OAuthClient, member: Any, app: Application
) -> None:
    oauth.code_flow(member, app)
    signalled = len(sent)

    class HostFailure(Exception):
        pass

    # A host project revokes inside its own transaction, which then fails.
    with pytest.raises(HostFailure), transaction.atomic():
        assert revoke_authorization(member, app, actor_type=Actor.SYSTEM).total
        raise HostFailure
    assert len(sent) == signalled
    assert not AuditEvent.objects.filter(event=Event.TOKENS_REVOKED).exists()


def test_events_are_append_only(org: Organization) -> None:
    from perscom_oauth.audit import Actor, record

    entry = record(Event.APPLICATION_CREATED, organization=org, actor_type=Actor.SYSTEM)
    entry.event = Event.TOKEN_ISSUED
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
