"""One rule for refresh-token expiry (``tokens.refresh_expiry``): the token endpoint refuses a token
exactly when the admin shows it "Expired" and ``cleanup_oauth`` deletes it, at each edge.

Before the rule had one home, only the token endpoint applied the absolute lifetime: a token it
refused showed "Active" in the admin and was never purged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model

from perscom_oauth.conf import oauth_settings
from perscom_oauth.models import Application
from tests.admin_support import admin_client, superuser
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db

RefreshToken = get_refresh_token_model()
LIST = "/admin/oauth2_provider/refreshtoken/"


def issue(oauth: OAuthClient, member: Any, app: Application, rotations: int = 0) -> tuple[str, Any]:
    """A live refresh token (after ``rotations`` refreshes) and its row."""
    value = oauth.code_flow(member, app).json()["refresh_token"]
    for _ in range(rotations):
        value = oauth.refresh(app, value).json()["refresh_token"]
    return value, RefreshToken.objects.get(revoked__isnull=True, application=app)


def age(row: Any, seconds: float, family: bool = False) -> None:
    """Move the row's creation ``seconds`` into the past, or with ``family``, the creation of
    the tokens it was rotated from (the sign-in began then; the row itself is fresh)."""
    past = timezone.now() - timedelta(seconds=seconds)
    if family:
        RefreshToken.objects.filter(token_family=row.token_family).exclude(pk=row.pk).update(created=past)
    else:
        RefreshToken.objects.filter(pk=row.pk).update(created=past)


def verdicts(oauth: OAuthClient, app: Application, value: str, row: Any) -> tuple[bool, bool, bool]:
    """(admin says expired, token endpoint refuses, cleanup deletes) for one token."""
    browser = admin_client(superuser(f"root{row.pk}"), HTTP_HOST=oauth.host)
    listed = browser.get(LIST, {"status": "expired"}).content.decode()
    admin_expired = f"{LIST}{row.pk}/change/" in listed
    admin_page = browser.get(f"{LIST}{row.pk}/change/")
    assert admin_page.status_code == 200
    refused = oauth.refresh(app, value).status_code == 400
    if not refused:
        return admin_expired, refused, False
    call_command("cleanup_oauth", verbosity=0)
    return admin_expired, refused, not RefreshToken.objects.filter(pk=row.pk).exists()


IDLE = oauth_settings.REFRESH_TOKEN_IDLE_SECONDS
ABSOLUTE = oauth_settings.REFRESH_TOKEN_ABSOLUTE_SECONDS


@pytest.mark.parametrize(
    ("case", "expired"),
    [
        ("fresh", False),
        ("idle, just inside", False),
        ("idle, just past", True),
        ("absolute, family started just inside", False),
        ("absolute, family started just past", True),
        ("per-application idle lifetime, past", True),
        ("per-application absolute lifetime, past", True),
    ],
)
def test_endpoint_admin_and_cleanup_agree(
    oauth: OAuthClient, member: Any, app: Application, case: str, expired: bool
) -> None:
    if case.startswith("per-application idle"):
        Application.objects.filter(pk=app.pk).update(refresh_token_idle_lifetime=60)
    if case.startswith("per-application absolute"):
        Application.objects.filter(pk=app.pk).update(refresh_token_absolute_lifetime=120)
    app.refresh_from_db()
    value, row = issue(oauth, member, app, rotations=1)
    if case.startswith("idle, just inside"):
        age(row, IDLE - 60)
    if case.startswith("idle, just past"):
        age(row, IDLE + 1)
    if case.startswith("absolute, family started just inside"):
        age(row, ABSOLUTE - 60, family=True)
    if case.startswith("absolute, family started just past"):
        age(row, ABSOLUTE + 1, family=True)
    if case.startswith("per-application idle"):
        age(row, 61)
    if case.startswith("per-application absolute"):
        age(row, 121, family=True)
    assert verdicts(oauth, app, value, row) == (expired, expired, expired)


def test_a_revoked_token_is_refused_and_shown_revoked(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    value, row = issue(oauth, member, app)
    RefreshToken.objects.get(pk=row.pk).revoke()
    browser = admin_client(superuser(), HTTP_HOST=oauth.host)
    assert f"{LIST}{row.pk}/change/" in browser.get(LIST, {"status": "revoked"}).content.decode()
    assert f"{LIST}{row.pk}/change/" not in browser.get(LIST, {"status": "expired"}).content.decode()
    assert oauth.refresh(app, value).status_code == 400
