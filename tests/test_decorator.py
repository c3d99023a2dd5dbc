"""``@scopes_required`` protects a plain Django view the way ScopePermissions protects DRF ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from perscom_oauth.models import Application, Organization
from tests.conftest import make_member
from tests.oauth import OAuthClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def test_token_with_the_scope(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, scope="view:rank").json()["access_token"]
    response = oauth.api(token, "/plain/ranks")
    assert response.status_code == 200
    assert response.json() == {"user": "member"}


def test_token_without_the_scope(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, scope="view:user").json()["access_token"]
    response = oauth.api(token, "/plain/ranks")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="view:rank"' in response["WWW-Authenticate"]


def test_bad_token_and_no_credentials(oauth: OAuthClient) -> None:
    response = oauth.api("not-a-token", "/plain/ranks")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    response = oauth.client().get("/plain/ranks")
    assert response.status_code == 401
    metadata = "http://alpha.example.test/.well-known/oauth-protected-resource"  # RFC 9728 §5.1
    assert response["WWW-Authenticate"] == f'Bearer realm="api",resource_metadata="{metadata}"'


def test_session_falls_back_to_the_users_permissions(
    oauth: OAuthClient, org: Organization, viewer_role: Group
) -> None:
    browser = oauth.client()
    browser.force_login(make_member(org, "viewer", viewer_role))
    assert browser.get("/plain/ranks").status_code == 200
    outsider = oauth.client()
    outsider.force_login(make_member(org, "nobody"))
    assert outsider.get("/plain/ranks").status_code == 403


def test_scope_permissions_compose_with_or(
    oauth: OAuthClient, member: Any, app: Application, org: Organization
) -> None:
    with_scope = oauth.code_flow(member, app, scope="clear:cache").json()["access_token"]
    without = oauth.code_flow(member, app, scope="view:user").json()["access_token"]
    post = oauth.client().post
    assert post("/composed/clear-cache", HTTP_AUTHORIZATION=f"Bearer {with_scope}").status_code == 200
    assert post("/composed/clear-cache", HTTP_AUTHORIZATION=f"Bearer {without}").status_code == 403
    staff = make_member(org, "staff")
    staff.is_staff = True
    staff.save()
    browser = oauth.client()
    browser.force_login(staff)
    assert browser.post("/composed/clear-cache").status_code == 200  # IsAdminUser grants it


def test_a_view_without_queryset_or_required_scopes_is_refused_not_a_500(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    """Fail closed with a 403 that says why (tests/test_drf_permissions.py has the edges)."""
    token = oauth.code_flow(member, app).json()["access_token"]
    response = oauth.api(token, "/misconfigured")
    assert response.status_code == 403
    assert "declares no scopes" in response.json()["detail"]
