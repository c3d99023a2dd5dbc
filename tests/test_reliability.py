"""Reliability regressions found by bench/reliability.py (issue 13) that one process can show:
a revoked family stays revoked within the grace period, a database outage answers 503."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from perscom_oauth.models import Application
from tests.factories import SECRET
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db


def refresh(oauth: OAuthClient, app: Application, refresh_token: str) -> Any:
    return oauth.token(
        grant_type="refresh_token", refresh_token=refresh_token, client_id=app.client_id, client_secret=SECRET
    )


def revoke(oauth: OAuthClient, app: Application, token: str) -> Any:
    return oauth.client().post(
        "/oauth/revoke", {"token": token, "client_id": app.client_id, "client_secret": SECRET}
    )


def test_a_revoked_family_is_not_revived_by_a_retry_within_the_grace_period(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    """RFC 7009 §2.1 / RFC 9700 §4.14.2: after a rotation, the old refresh token passes the base
    library's check for the grace period. Once the family is revoked, a retry must not mint a
    pair."""
    first = oauth.code_flow(member, app).json()
    rotated = refresh(oauth, app, first["refresh_token"]).json()
    assert revoke(oauth, app, first["refresh_token"]).status_code == 200

    retry = refresh(oauth, app, first["refresh_token"])

    assert retry.status_code == 400
    assert retry.json()["error"] == "invalid_grant"
    assert oauth.api(rotated["access_token"]).status_code == 401
    assert not get_refresh_token_model().objects.filter(revoked__isnull=True).exists()
    assert not get_access_token_model().objects.exists()


@pytest.mark.parametrize(
    ("path", "json_expected"),
    [("/oauth/token", True), ("/api/me", True), ("/.well-known/openid-configuration", True), ("/", False)],
)
def test_database_outage_answers_503_with_retry_after(
    oauth: OAuthClient, monkeypatch: pytest.MonkeyPatch, path: str, json_expected: bool
) -> None:
    """RFC 9110 §15.6.4 / §10.2.3: the service is unavailable for a moment, not broken."""

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", unreachable)
    client = oauth.client()
    client.raise_request_exception = False
    client.cookies["sessionid"] = "a-session-that-must-be-looked-up"
    headers = {"HTTP_AUTHORIZATION": "Bearer a-token-that-must-be-looked-up"}
    if "token" in path:
        response = client.post(path, {"grant_type": "client_credentials"})
    else:
        response = client.get(path, **headers)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    if json_expected:
        assert response.json()["error"] == "temporarily_unavailable"
    else:
        assert response["Content-Type"].startswith("text/plain")


def test_other_database_errors_stay_errors(oauth: OAuthClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an unreachable database is a 503: a wrong query is a bug, a 500 that is logged."""
    from django.db import ProgrammingError

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ProgrammingError("relation does not exist")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", broken)
    client = oauth.client()
    client.raise_request_exception = False
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer some-token").status_code == 500
