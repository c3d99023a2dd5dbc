"""Lifetimes, rotation with reuse detection, code replay and PKCE downgrade (RFC 9700)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from perscom_oauth.models import Application, AuditEvent
from tests.factories import REDIRECT_URI, SECRET
from tests.oauth import OAuthClient, basic_auth, pkce_pair

pytestmark = pytest.mark.django_db


def refresh(oauth: OAuthClient, app: Application, refresh_token: str) -> Any:
    return oauth.token(
        grant_type="refresh_token", refresh_token=refresh_token, client_id=app.client_id, client_secret=SECRET
    )


def test_access_token_lifetime_defaults_to_one_hour_and_is_per_application(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    assert oauth.code_flow(member, app).json()["expires_in"] == 3600
    app.access_token_lifetime = 300
    app.save()
    token = oauth.code_flow(member, app).json()
    assert token["expires_in"] == 300
    stored = get_access_token_model().objects.order_by("-pk").first()
    assert abs((stored.expires - timezone.now()).total_seconds() - 300) < 5


def test_expired_access_token_is_refused(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app).json()["access_token"]
    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = oauth.api(token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_authorization_code_expires_after_60_seconds(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    from oauth2_provider.models import get_grant_model

    code = oauth.authorize(member, app)["code"]
    get_grant_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = oauth.exchange(app, code)
    assert response.json()["error"] == "invalid_grant"


def test_refresh_token_idle_limit(oauth: OAuthClient, member: Any, app: Application) -> None:
    app.refresh_token_idle_lifetime = 600
    app.save()
    token = oauth.code_flow(member, app).json()
    get_refresh_token_model().objects.update(created=timezone.now() - timedelta(seconds=601))
    assert refresh(oauth, app, token["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_token_absolute_limit_survives_rotation(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    app.refresh_token_absolute_lifetime = 3600
    app.save()
    token = oauth.code_flow(member, app).json()
    # The sign-in started 2 hours ago; every refresh since kept it "fresh" (idle limit).
    get_refresh_token_model().objects.update(created=timezone.now() - timedelta(hours=2))
    rotated = refresh(oauth, app, token["refresh_token"])
    assert rotated.status_code == 400
    assert rotated.json()["error"] == "invalid_grant"


def test_rotation_then_reuse_revokes_the_family(
    oauth: OAuthClient, member: Any, app: Application, settings: Any
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REFRESH_TOKEN_DUPLICATE_SECONDS": 0}
    first = oauth.code_flow(member, app).json()
    second = refresh(oauth, app, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]

    stolen = refresh(oauth, app, first["refresh_token"])  # RFC 9700 §4.14.2

    assert stolen.json()["error"] == "invalid_grant"
    assert oauth.api(second["access_token"]).status_code == 401  # the family is revoked
    assert refresh(oauth, app, second["refresh_token"]).json()["error"] == "invalid_grant"
    reuse = AuditEvent.objects.filter(event=AuditEvent.Event.REFRESH_TOKEN_REUSED)
    assert reuse.count() == 1
    assert reuse.get().subject == "member"


def test_without_rotation_the_refresh_token_is_kept(
    oauth: OAuthClient, member: Any, app: Application, settings: Any
) -> None:
    """ROTATE_REFRESH_TOKEN off: the base library updates the pair in place (our rotation
    path is not taken)."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ROTATE_REFRESH_TOKEN": False}
    first = oauth.code_flow(member, app).json()
    assert oauth.api(first["access_token"]).status_code == 200  # its state is cached
    second = refresh(oauth, app, first["refresh_token"]).json()
    assert second["refresh_token"] == first["refresh_token"]
    assert oauth.api(first["access_token"]).status_code == 401
    assert oauth.api(second["access_token"]).status_code == 200
    assert refresh(oauth, app, first["refresh_token"]).status_code == 200


def test_a_repeat_within_the_grace_period_is_refused_and_the_family_kept(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    """Issue 13: a rotated refresh token presented again within the grace period (a client's
    concurrent refresh, a retry) handed out a second pair and killed the first, so of N
    concurrent refreshes N answered 200 with one pair alive. Now: one pair, every repeat is
    invalid_grant, and it is not taken as reuse (RFC 9700 §4.14.2): the pair stays live."""
    first = oauth.code_flow(member, app).json()
    rotated = refresh(oauth, app, first["refresh_token"]).json()
    repeat = refresh(oauth, app, first["refresh_token"])
    assert repeat.status_code == 400
    assert repeat.json()["error"] == "invalid_grant"  # as JSON (RFC 6749 §5.2): it was text/html
    assert repeat["Cache-Control"] == "no-store"
    assert oauth.api(rotated["access_token"]).status_code == 200
    assert refresh(oauth, app, rotated["refresh_token"]).status_code == 200
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.REFRESH_TOKEN_REUSED).exists()


def test_code_replay_is_refused_and_revokes_what_the_code_issued(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    verifier, challenge = pkce_pair()
    code = oauth.authorize(member, app, code_challenge=challenge, code_challenge_method="S256")["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": app.client_id,
        "client_secret": SECRET,
        "code_verifier": verifier,
    }
    token = oauth.token(**exchange).json()
    assert oauth.api(token["access_token"]).status_code == 200

    replay = oauth.token(**exchange)  # RFC 6749 §4.1.2

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert oauth.api(token["access_token"]).status_code == 401
    assert refresh(oauth, app, token["refresh_token"]).json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(event=AuditEvent.Event.CODE_REPLAYED).count() == 1


def test_pkce_downgrade_verifier_without_challenge_is_refused(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    code = oauth.authorize(member, app)["code"]  # no code_challenge
    response = oauth.exchange(app, code, code_verifier=pkce_pair()[0])
    assert response.status_code == 400  # RFC 9700 §4.8.2
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_pkce_challenge_without_verifier_is_refused(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    _verifier, challenge = pkce_pair()
    code = oauth.authorize(member, app, code_challenge=challenge, code_challenge_method="S256")["code"]
    response = oauth.exchange(app, code)
    assert response.status_code == 400  # RFC 7636 §4.6
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_revoking_a_rotated_refresh_token_revokes_its_successors(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    # Security review finding 7 (RFC 7009 §2.1, RFC 9700 §4.14.2): RT0 was refreshed to
    # RT1/AT1; revoking RT0 revokes the family, so AT1 and RT1 stop working.
    first = oauth.code_flow(member, app).json()
    second = refresh(oauth, app, first["refresh_token"]).json()
    assert oauth.api(second["access_token"]).status_code == 200
    revoked = oauth.client().post(
        "/oauth/revoke", {"token": first["refresh_token"]}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert revoked.status_code == 200
    assert oauth.api(second["access_token"]).status_code == 401
    assert refresh(oauth, app, second["refresh_token"]).status_code == 400
