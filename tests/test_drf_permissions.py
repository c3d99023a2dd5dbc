"""``ScopePermissions`` at its edges (issue 19, point 5): the DefaultRouter's API root, a
``required_scopes`` dict that names only some actions, methods no rule lists, and views that
declare nothing. Every outcome is a documented answer, never a 500; nothing fails open."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from perscom_oauth.models import Application
from tests.oauth import OAuthClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.drf_urls")]


def token(oauth: OAuthClient, member: Any, app: Application, scope: str) -> str:
    response = oauth.code_flow(member, app, scope=scope)
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def send(oauth: OAuthClient, method: str, path: str, access_token: str | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access_token}"} if access_token else {}
    return oauth.client().generic(method, path, **headers)


def assert_insufficient_scope(response: Any, scope: str) -> None:
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert f'scope="{scope}"' in response["WWW-Authenticate"]


def test_the_demo_api_root_needs_a_token_and_no_scope(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    """DRF's DefaultRouter index, with ScopePermissions as the default permission class."""
    access_token = token(oauth, member, app, "view:rank")
    response = oauth.api(access_token, "/api/")
    assert response.status_code == 200
    assert set(response.json()) == {"users", "ranks", "awards"}
    assert send(oauth, "HEAD", "/api/", access_token).status_code == 200

    anonymous = oauth.client().get("/api/")
    assert anonymous.status_code == 401
    metadata = "http://alpha.example.test/.well-known/oauth-protected-resource/api"  # RFC 9728 §5.1
    assert anonymous["WWW-Authenticate"] == f'Bearer realm="api",resource_metadata="{metadata}"'

    browser = oauth.client()
    browser.force_login(member)
    assert browser.get("/api/").status_code == 200


def test_a_dict_naming_one_custom_action_leaves_the_others_to_the_model(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    viewer = token(oauth, member, app, "view:award")
    publisher = token(oauth, member, app, "update:award")

    assert oauth.api(viewer, "/drf/awards/").status_code == 200
    assert_insufficient_scope(oauth.api(publisher, "/drf/awards/"), "view:award")
    created = oauth.client().post("/drf/awards/", {"name": "Medal"}, HTTP_AUTHORIZATION=f"Bearer {viewer}")
    assert_insufficient_scope(created, "create:award")

    assert send(oauth, "POST", "/drf/awards/publish/", publisher).status_code == 200
    assert_insufficient_scope(send(oauth, "POST", "/drf/awards/publish/", viewer), "update:award")


def test_a_method_no_rule_lists_is_refused_even_with_a_handler(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    """TRACE is not in ``scopes_map``: 405 for a token that holds every scope, never served."""
    everything = token(oauth, member, app, "view:rank create:rank update:rank delete:rank")
    assert send(oauth, "GET", "/drf/traced-ranks", everything).status_code == 200
    refused = send(oauth, "TRACE", "/drf/traced-ranks", everything)
    assert refused.status_code == 405
    assert "TRACE" in refused.json()["detail"]
    assert send(oauth, "TRACE", "/api/ranks/", everything).status_code == 405


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_head_and_options_need_what_get_needs(
    oauth: OAuthClient, member: Any, app: Application, method: str
) -> None:
    viewer = token(oauth, member, app, "view:rank view:settings")
    other = token(oauth, member, app, "view:user")
    # From the model (scopes_map) ...
    assert send(oauth, method, "/api/ranks/", viewer).status_code == 200
    assert_insufficient_scope(send(oauth, method, "/api/ranks/", other), "view:rank")
    # ... and from a dict keyed by method that only names GET.
    assert send(oauth, method, "/drf/by-method", viewer).status_code == 200
    assert_insufficient_scope(send(oauth, method, "/drf/by-method", other), "view:settings")


@pytest.mark.parametrize("path", ["/drf/undeclared", "/drf/undeclared-generic", "/drf/by-method"])
def test_a_view_that_declares_no_scopes_is_refused_with_a_clear_403(
    oauth: OAuthClient, member: Any, app: Application, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """/drf/by-method declares GET only and has no model: its POST declares nothing."""
    everything = token(oauth, member, app, "view:settings view:rank view:user")
    method = "POST" if path == "/drf/by-method" else "GET"
    with caplog.at_level(logging.ERROR, logger="perscom_oauth.contrib.rest_framework.permissions"):
        response = send(oauth, method, path, everything)
    assert response.status_code == 403
    assert "declares no scopes" in response.json()["detail"]
    assert "insufficient_scope" not in response.get("WWW-Authenticate", "")  # not the token's fault
    assert "has no scopes to require" in caplog.text  # the developer is told which view

    browser = oauth.client()
    browser.force_login(member)
    assert browser.generic(method, path).status_code == 403
    assert oauth.client().generic(method, path).status_code == 401  # anonymous: the challenge
