"""RFC 6750 §3.1 challenges are the same on every resource path, whatever the settings: no
error code without credentials, invalid_token for a bad token, insufficient_scope with the
scope needed (DRF, @scopes_required, userinfo; OpenID Connect on and off)."""

from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application
from tests.oauth import OAuthClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

# DRF and the decorator; userinfo only exists with OpenID Connect on.
PATHS = {"drf": ("/api/ranks/", "view:rank"), "decorator": ("/plain/ranks", "view:rank")}
#: RFC 9728 §5.1: every challenge names the metadata of the resource the request was for: the
#: demo's /api is a resource of its own (RESOURCE_PATHS), the rest of the host is the host's.
METADATA = "http://alpha.example.test/.well-known/oauth-protected-resource"
METADATA_OF = {"/api/ranks/": f"{METADATA}/api", "/plain/ranks": METADATA, "/oauth/userinfo": METADATA}


@pytest.fixture(params=[True, False], ids=["oidc-on", "oidc-off"])
def oidc(request: Any, settings: Any) -> bool:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": request.param}
    return bool(request.param)


@pytest.mark.parametrize("path", [path for path, _scope in PATHS.values()])
def test_no_credentials_get_a_bare_challenge(oauth: OAuthClient, oidc: bool, path: str) -> None:
    response = oauth.client().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == f'Bearer realm="api",resource_metadata="{METADATA_OF[path]}"'


@pytest.mark.parametrize("path", [path for path, _scope in PATHS.values()])
def test_a_bad_token_is_invalid_token(oauth: OAuthClient, oidc: bool, path: str) -> None:
    response = oauth.api("not-a-token", path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api",error="invalid_token"')


@pytest.mark.parametrize(("path", "scope"), PATHS.values())
def test_a_narrow_token_is_insufficient_scope_naming_the_scope(
    oauth: OAuthClient, member: Any, app: Application, oidc: bool, path: str, scope: str
) -> None:
    token = oauth.code_flow(member, app, scope="view:user").json()["access_token"]
    response = oauth.api(token, path)
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{scope}"' in challenge


@pytest.fixture
def oidc_on(settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": True}


# userinfo answers through oauthlib's UserInfoEndpoint (views.UserInfoView), which reports every
# failure as invalid_token: RFC 6750 §3.1 wants no error code without credentials, and OpenID
# Connect Core §5.3.3 defers to it, so a valid token without ``openid`` is insufficient_scope.
def test_userinfo_without_credentials_gets_a_bare_challenge(oauth: OAuthClient, oidc_on: None) -> None:
    response = oauth.client().get("/oauth/userinfo")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == f'Bearer realm="api",resource_metadata="{METADATA}"'


def test_userinfo_refuses_a_bad_token_with_invalid_token(oauth: OAuthClient, oidc_on: None) -> None:
    response = oauth.api("not-a-token", "/oauth/userinfo")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_userinfo_refuses_a_token_without_openid_with_insufficient_scope(
    oauth: OAuthClient, member: Any, app: Application, oidc_on: None
) -> None:
    token = oauth.code_flow(member, app, scope="view:user").json()["access_token"]
    response = oauth.api(token, "/oauth/userinfo")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="openid"' in response["WWW-Authenticate"]


def test_userinfo_does_not_exist_with_openid_connect_off(oauth: OAuthClient, settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": False}
    assert oauth.client().get("/oauth/userinfo").status_code == 404
