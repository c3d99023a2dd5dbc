"""The seed's whole flow over real HTTP, driven by a real third-party client library (Authlib)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.browser import Browser
from tests.demo import seed_demo

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]
CALLBACK = "http://127.0.0.1:8765/callback"


@pytest.fixture
def sessions() -> Iterator[list[OAuth2Session]]:
    """Third-party client sessions, closed before the live server stops."""
    opened: list[OAuth2Session] = []
    yield opened
    for session in opened:
        session.close()


@pytest.fixture
def demo(live_server: Any) -> dict[str, Any]:
    data = seed_demo()
    data["base"] = live_server.url  # http://localhost:<port>: the demo organization's host
    return data


def log_in_and_consent(authorization_url: str, username: str, password: str) -> str:
    """What the user does in the browser; returns the callback URL the app receives."""
    with Browser() as browser:
        login_page = browser.open(authorization_url)
        assert "/accounts/login/" in login_page.url
        consent_page = browser.follow(
            browser.submit(login_page, {"username": username, "password": password})
        )
        assert consent_page.status_code == 200
        assert "Authorize" in consent_page.text
        redirect = browser.submit(consent_page, {"allow": "Authorize"})
    assert redirect.status_code == 302
    return redirect.headers["Location"]


def test_seed_flow_end_to_end(demo: dict[str, Any], sessions: list[OAuth2Session]) -> None:
    base = demo["base"]
    app = next(a for a in demo["applications"] if a["client_id"] == "demo-web")
    alice = next(u for u in demo["users"] if u["username"] == "alice")
    client = OAuth2Session(
        app["client_id"],
        app["client_secret"],
        scope="view:user",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",  # the seed's form-body secret
    )
    sessions.append(client)
    verifier = generate_token(48)
    authorization_url, _state = client.create_authorization_url(
        f"{base}/oauth/authorize", code_verifier=verifier
    )

    callback = log_in_and_consent(authorization_url, alice["username"], alice["password"])
    assert callback.startswith(CALLBACK)
    token = client.fetch_token(f"{base}/oauth/token", authorization_response=callback, code_verifier=verifier)
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "view:user"

    me = client.get(f"{base}/api/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "alice"
    assert me.json()["organization"]["slug"] == "demo"

    refreshed = client.refresh_token(f"{base}/oauth/token", refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert client.get(f"{base}/api/me").status_code == 200

    revoked = client.revoke_token(
        f"{base}/oauth/revoke", token=refreshed["access_token"], token_type_hint="access_token"
    )
    assert revoked.status_code == 200
    refused = requests.get(
        f"{base}/api/me", headers={"Authorization": f"Bearer {refreshed['access_token']}"}, timeout=10
    )
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_public_client_with_pkce(demo: dict[str, Any], sessions: list[OAuth2Session]) -> None:
    base = demo["base"]
    bob = next(u for u in demo["users"] if u["username"] == "bob")
    spa = OAuth2Session(
        "demo-spa",
        scope="view:user",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    sessions.append(spa)
    verifier = generate_token(48)
    url, _state = spa.create_authorization_url(f"{base}/oauth/authorize", code_verifier=verifier)
    callback = log_in_and_consent(url, bob["username"], bob["password"])
    token = spa.fetch_token(f"{base}/oauth/token", authorization_response=callback, code_verifier=verifier)
    assert spa.get(f"{base}/api/me").json()["client_id"] == "demo-spa"
    refreshed = spa.refresh_token(f"{base}/oauth/token", refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]


def test_confidential_client_with_http_basic(demo: dict[str, Any], sessions: list[OAuth2Session]) -> None:
    base = demo["base"]
    app = next(a for a in demo["applications"] if a["client_id"] == "demo-web")
    bob = next(u for u in demo["users"] if u["username"] == "bob")
    client = OAuth2Session(
        app["client_id"],
        app["client_secret"],
        scope="view:user",
        redirect_uri=CALLBACK,
        token_endpoint_auth_method="client_secret_basic",
    )
    sessions.append(client)
    url, _state = client.create_authorization_url(f"{base}/oauth/authorize")
    callback = log_in_and_consent(url, bob["username"], bob["password"])
    client.fetch_token(f"{base}/oauth/token", authorization_response=callback)
    assert client.get(f"{base}/api/me").json()["user"]["username"] == "bob"
