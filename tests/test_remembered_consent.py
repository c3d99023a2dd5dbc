"""Remembered consent: asked once per scope set; `prompt=consent` always asks (OIDC Core §3.1.2.1)."""

from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application, AuditEvent
from tests.factories import REDIRECT_URI
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db


def ask(oauth: OAuthClient, user: Any, app: Application, scope: str, **extra: str) -> Any:
    return oauth.authorization_request(
        user, "get", **{"client_id": app.client_id, "scope": scope, "state": "s", **extra}
    )


def test_same_or_narrower_scopes_skip_the_screen(oauth: OAuthClient, member: Any, app: Application) -> None:
    assert ask(oauth, member, app, "view:user update:user").status_code == 200  # first time: asked
    oauth.code_flow(member, app, scope="view:user update:user")

    again = ask(oauth, member, app, "view:user")
    assert again.status_code == 302
    assert again["Location"].startswith(REDIRECT_URI + "?code=")
    granted = AuditEvent.objects.filter(event=AuditEvent.Event.AUTHORIZATION_GRANTED).order_by("pk").last()
    assert granted.details == {"scope": "view:user", "consent_screen": False}


def test_wider_scopes_ask_again(oauth: OAuthClient, member: Any, app: Application) -> None:
    oauth.code_flow(member, app, scope="view:user")
    assert ask(oauth, member, app, "view:user delete:user").status_code == 200


def test_prompt_consent_always_asks(oauth: OAuthClient, member: Any, app: Application) -> None:
    oauth.code_flow(member, app, scope="view:user")
    assert ask(oauth, member, app, "view:user", prompt="consent").status_code == 200


def test_revoked_consent_is_forgotten(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, scope="view:user").json()
    oauth.revoke(app, token["refresh_token"])
    assert ask(oauth, member, app, "view:user").status_code == 200


def test_the_client_cannot_ask_to_skip(
    oauth: OAuthClient, member: Any, app: Application, settings: Any
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REMEMBER_CONSENT": False}
    oauth.code_flow(member, app, scope="view:user")
    assert ask(oauth, member, app, "view:user").status_code == 200
    assert ask(oauth, member, app, "view:user", approval_prompt="auto").status_code == 200


def test_trusted_first_party_apps_skip_unless_prompt_consent(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    app.skip_authorization = True
    app.save()
    skipped = ask(oauth, member, app, "view:user")
    assert skipped.status_code == 302 and "code=" in skipped["Location"]
    assert ask(oauth, member, app, "view:user", prompt="consent").status_code == 200


def test_skipping_never_grants_what_the_user_lacks(oauth: OAuthClient, member: Any, app: Application) -> None:
    app.skip_authorization = True
    app.save()
    member.perscom_memberships.get().roles.clear()
    response = ask(oauth, member, app, "view:user")
    assert "error=access_denied" in response["Location"]
    assert oauth.exchange(app, "x").status_code == 400
