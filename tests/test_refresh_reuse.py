"""Issue 19 M4: refresh-token reuse detection (RFC 9700 §4.14.2) runs only for the token's own
client, authenticated (or, for a public client, identified) as such, and every family it
revokes is audited in the token's organization.

Before the fix, a rotated refresh token presented after the grace period by *any* client, of
another organization or a public one without a secret, revoked its owner's live family (the
base library revokes before it compares the client), and no audit trail recorded it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model

from perscom_oauth.models import Application, AuditEvent, Organization
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, basic_auth, host_of

pytestmark = pytest.mark.django_db
Event = AuditEvent.Event
REUSE_EVENTS = [Event.TOKENS_REVOKED, Event.REFRESH_TOKEN_REUSED]


def past_the_grace_period() -> None:
    """Every rotated refresh token was rotated a minute ago: a repeat is now reuse, not the
    client's own duplicate (REFRESH_TOKEN_GRACE_PERIOD_SECONDS is 10 s)."""
    get_refresh_token_model().objects.filter(revoked__isnull=False).update(
        revoked=timezone.now() - timedelta(minutes=1)
    )


@pytest.fixture
def rotated(oauth: OAuthClient, member: Any, app: Application) -> dict[str, str]:
    """A sign-in of ``app`` refreshed once: ``old`` is the rotated refresh token (past the
    grace period), ``access_token`` and ``refresh_token`` the live pair."""
    first = oauth.code_flow(member, app).json()
    live = oauth.refresh(app, first["refresh_token"]).json()
    past_the_grace_period()
    return {"old": first["refresh_token"], **live}


def family_is_live(oauth: OAuthClient, app: Application, rotated: dict[str, str]) -> bool:
    if oauth.api(rotated["access_token"]).status_code != 200:
        return False
    return bool(oauth.refresh(app, rotated["refresh_token"]).status_code == 200)


def test_another_organizations_client_cannot_revoke_the_family(
    oauth: OAuthClient, org: Organization, other_org: Organization, app: Application, rotated: dict[str, str]
) -> None:
    stranger = ApplicationFactory(organization=other_org, client_id="bravo-web")
    # Authenticated, on its own organization's host, with another organization's token.
    response = OAuthClient(host_of(other_org)).refresh(stranger, rotated["old"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AuditEvent.objects.filter(event__in=REUSE_EVENTS).exists()
    assert family_is_live(oauth, app, rotated)


def test_a_public_client_without_a_secret_cannot_revoke_the_family(
    oauth: OAuthClient, org: Organization, app: Application, rotated: dict[str, str]
) -> None:
    public = ApplicationFactory(organization=org, client_type=Application.CLIENT_PUBLIC)
    response = oauth.token(
        grant_type="refresh_token", refresh_token=rotated["old"], client_id=public.client_id
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert family_is_live(oauth, app, rotated)


def test_a_wrong_secret_cannot_revoke_the_family(
    oauth: OAuthClient, app: Application, rotated: dict[str, str]
) -> None:
    response = oauth.client().post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": rotated["old"]},
        HTTP_AUTHORIZATION=basic_auth(app.client_id, "wrong"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert family_is_live(oauth, app, rotated)


def test_reuse_by_the_tokens_own_client_revokes_the_family_audited(
    oauth: OAuthClient, org: Organization, app: Application, rotated: dict[str, str]
) -> None:
    response = oauth.refresh(app, rotated["old"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert oauth.api(rotated["access_token"]).status_code == 401
    assert oauth.refresh(app, rotated["refresh_token"]).json()["error"] == "invalid_grant"
    revoked = AuditEvent.objects.get(event=Event.TOKENS_REVOKED)
    assert (revoked.organization_id, revoked.application, revoked.subject) == (org.pk, app, "member")
    assert revoked.details["reason"] == "refresh_token_reuse"
    assert (revoked.details["access_tokens"], revoked.details["refresh_tokens"]) == (1, 1)
    reused = AuditEvent.objects.get(event=Event.REFRESH_TOKEN_REUSED)
    assert (reused.organization_id, reused.application, reused.subject) == (org.pk, app, "member")
    # Presented once more: nothing is left to revoke, and nothing more is recorded.
    assert oauth.refresh(app, rotated["old"]).json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(event__in=REUSE_EVENTS).count() == 2


def test_a_public_clients_own_reuse_revokes_its_family(
    oauth: OAuthClient, org: Organization, member: Any
) -> None:
    """A public client is identified by its client_id alone (RFC 6749 §2.1): rotation with
    reuse detection is what protects its refresh tokens (RFC 9700 §4.14.2)."""
    public = ApplicationFactory(organization=org, client_type=Application.CLIENT_PUBLIC)
    code, verifier = oauth.pkce_code(member, public)
    first = oauth.exchange(public, code, code_verifier=verifier, client_secret=None).json()
    refresh = {"grant_type": "refresh_token", "client_id": public.client_id}
    live = oauth.token(**refresh, refresh_token=first["refresh_token"]).json()
    past_the_grace_period()

    assert oauth.token(**refresh, refresh_token=first["refresh_token"]).json()["error"] == "invalid_grant"

    assert oauth.api(live["access_token"]).status_code == 401
    revoked = AuditEvent.objects.get(event=Event.TOKENS_REVOKED)
    assert (revoked.organization_id, revoked.application, revoked.details["reason"]) == (
        org.pk,
        public,
        "refresh_token_reuse",
    )


def test_without_reuse_protection_nothing_is_revoked(
    oauth: OAuthClient, app: Application, rotated: dict[str, str], settings: Any
) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "REFRESH_TOKEN_REUSE_PROTECTION": False}
    assert oauth.refresh(app, rotated["old"]).json()["error"] == "invalid_grant"
    assert family_is_live(oauth, app, rotated)
    assert not AuditEvent.objects.filter(event=Event.TOKENS_REVOKED).exists()
