"""`manage.py cleanup_oauth`: deletes what can no longer be used, in batches, and nothing else."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, get_grant_model

from perscom_oauth.audit import Actor, Event, record
from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application, AuditEvent, AuthorizationCodeUse, Organization
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, basic_auth

Grant = get_grant_model()

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - timedelta(days=400)


def cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("cleanup_oauth", *args, stdout=out)
    return out.getvalue()


def past(seconds: int) -> Any:
    return timezone.now() - timedelta(seconds=seconds)


@pytest.fixture
def token(oauth: OAuthClient, member: Any, app: Application) -> dict[str, Any]:
    """The token response of a code flow of ``member`` for ``app``."""
    return dict(oauth.code_flow(member, app).json())


def test_live_credentials_survive(
    oauth: OAuthClient, member: Any, app: Application, token: dict[str, Any]
) -> None:
    oauth.authorize(member, app)

    assert "access tokens: deleted 0" in cleanup()

    assert oauth.api(token["access_token"]).status_code == 200
    assert Grant.objects.count() == 1
    assert oauth.refresh(app, token["refresh_token"]).status_code == 200


def test_expired_access_token_is_kept_while_its_refresh_token_lives(
    oauth: OAuthClient, app: Application, token: dict[str, Any]
) -> None:
    AccessToken.objects.update(expires=past(60))

    cleanup()

    assert AccessToken.objects.count() == 1  # the base library refuses a refresh token without it
    assert oauth.refresh(app, token["refresh_token"]).status_code == 200


def test_expired_machine_to_machine_token_is_deleted(oauth: OAuthClient, org: Organization) -> None:
    m2m = ApplicationFactory(organization=org, authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
    response = oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth(m2m.client_id),
    )
    assert response.status_code == 200
    AccessToken.objects.update(expires=past(1))

    assert "access tokens: deleted 1" in cleanup()
    assert not AccessToken.objects.exists()


def test_rotated_refresh_tokens_stay_while_their_family_lives(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    first = oauth.code_flow(member, app).json()
    second = oauth.refresh(app, first["refresh_token"]).json()
    third = oauth.refresh(app, second["refresh_token"]).json()
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=past(3600))

    cleanup()

    assert RefreshToken.objects.count() == 3
    # Reuse of a rotated token is still detected (RFC 9700 §4.14.2): the family is revoked.
    assert oauth.refresh(app, first["refresh_token"]).status_code == 400
    assert AuditEvent.objects.filter(event=Event.REFRESH_TOKEN_REUSED).count() == 1
    assert oauth.api(third["access_token"]).status_code == 401

    RefreshToken.objects.update(revoked=past(3600))
    assert "refresh tokens: deleted 3" in cleanup()


def test_just_revoked_refresh_tokens_wait_for_the_grace_period(
    oauth: OAuthClient, app: Application, token: dict[str, Any]
) -> None:
    oauth.revoke(app, token["refresh_token"])
    assert RefreshToken.objects.get().revoked is not None

    cleanup()
    assert RefreshToken.objects.count() == 1
    RefreshToken.objects.update(revoked=past(60))
    cleanup()
    assert not RefreshToken.objects.exists()


def test_idle_refresh_tokens_are_deleted(
    oauth: OAuthClient, member: Any, app: Application, org: Organization
) -> None:
    stale = oauth.code_flow(member, app).json()
    quick = ApplicationFactory(organization=org, refresh_token_idle_lifetime=60)
    oauth.code_flow(member, quick)
    fresh = oauth.code_flow(member, app).json()
    RefreshToken.objects.filter(application=quick).update(created=past(120))
    RefreshToken.objects.filter(access_token__token_checksum=checksum(stale["access_token"])).update(
        created=past(15 * 24 * 3600)
    )

    assert "refresh tokens: deleted 2" in cleanup()

    assert oauth.refresh(app, fresh["refresh_token"]).status_code == 200


def test_expired_codes_are_deleted(oauth: OAuthClient, member: Any, app: Application) -> None:
    oauth.authorize(member, app)
    live = oauth.authorize(member, app)["code"]
    Grant.objects.exclude(code=live).update(expires=past(1))

    assert "authorization codes: deleted 1" in cleanup()
    assert list(Grant.objects.values_list("code", flat=True)) == [checksum(live)]


def test_code_replay_records_go_with_what_they_issued(
    oauth: OAuthClient, app: Application, token: dict[str, Any]
) -> None:
    AuthorizationCodeUse.objects.update(created=past(3600))
    cleanup()
    assert AuthorizationCodeUse.objects.count() == 1

    oauth.revoke(app, token["access_token"])
    assert "code-replay records: deleted 1" in cleanup()


def test_old_audit_events_are_deleted_after_the_retention(org: Organization) -> None:
    for _ in range(3):
        record(Event.APPLICATION_CREATED, organization=org, actor_type=Actor.SYSTEM)
    old = AuditEvent.objects.order_by("pk")[:2].values_list("pk", flat=True)
    AuditEvent.objects.filter(pk__in=list(old)).update(created=past(40 * 24 * 3600))

    assert "audit events: deleted 0" in cleanup()  # 365 days by default
    with override_settings(PERSCOM_OAUTH={"AUDIT_RETENTION_DAYS": 30, "SCOPE_MODELS": ["auth.User", "demo"]}):
        assert "audit events: deleted 2" in cleanup()
    assert AuditEvent.objects.count() == 1
    with override_settings(PERSCOM_OAUTH={"AUDIT_RETENTION_DAYS": None}):
        AuditEvent.objects.update(created=LONG_AGO)
        assert "audit events: deleted 0" in cleanup()


def test_batches_and_dry_run(oauth: OAuthClient, member: Any, app: Application) -> None:
    for _ in range(5):
        oauth.authorize(member, app)
    Grant.objects.update(expires=past(1))

    assert "authorization codes: would delete 5" in cleanup("--dry-run")
    assert Grant.objects.count() == 5
    assert "authorization codes: deleted 5" in cleanup("--batch-size", "2", "--pause", "0.01")
    assert not Grant.objects.exists()


def test_bad_options_are_refused() -> None:
    with pytest.raises(CommandError, match="batch-size"):
        cleanup("--batch-size", "0")
    with pytest.raises(CommandError, match="pause"):
        cleanup("--pause", "-1")


def test_device_codes_go_once_expired_for_as_long_again(oauth: OAuthClient, org: Organization) -> None:
    from oauth2_provider.models import get_device_grant_model

    from tests.device import codes, device_app, poll

    device_grant = get_device_grant_model()
    tv = device_app(org)
    recent, old, live = (codes(oauth, tv.client_id) for _ in range(3))
    # RFC 8628 §3.5: a device polling just after expiry still hears expired_token ...
    device_grant.objects.filter(pk__in=device_grant.objects.order_by("pk")[:1]).update(expires=past(60))
    device_grant.objects.filter(pk__in=device_grant.objects.order_by("pk")[1:2]).update(expires=past(601))
    assert "device codes: deleted 1" in cleanup()
    assert poll(oauth, tv.client_id, recent["device_code"]).json()["error"] == "expired_token"
    # ... the one expired for longer than a code lives (DEVICE_CODE_SECONDS) is gone; live stays.
    assert device_grant.objects.count() == 2
    assert poll(oauth, tv.client_id, old["device_code"]).json()["error"] == "invalid_grant"
    assert poll(oauth, tv.client_id, live["device_code"]).json()["error"] == "authorization_pending"
