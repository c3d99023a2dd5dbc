"""The seed's whole flow over real HTTP, driven by a real third-party client library (Authlib)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
def demo(live_server: Any) -> dict[str, Any]:
    data = seed_demo()
    data["base"] = live_server.url  # http://localhost:<port>: the demo organization's host
    return data


@pytest.fixture
def session(demo: dict[str, Any]) -> Iterator[Callable[..., OAuth2Session]]:
    """Opens a third-party client's session for the seed's client (its secret unless it
    authenticates with none); each is closed before the live server stops."""
    opened: list[OAuth2Session] = []
    secrets = {app["client_id"]: app.get("client_secret") for app in demo["applications"]}

    def open_session(client_id: str, token_endpoint_auth_method: str, **options: Any) -> OAuth2Session:
        secret = None if token_endpoint_auth_method == "none" else secrets[client_id]
        client = OAuth2Session(
            client_id,
            secret,
            scope="view:user",
            redirect_uri=CALLBACK,
            token_endpoint_auth_method=token_endpoint_auth_method,
            **options,
        )
        opened.append(client)
        return client

    yield open_session
    for client in opened:
        client.close()


def log_in_and_consent(demo: dict[str, Any], authorization_url: str, username: str) -> str:
    """What the seed's user does in the browser; returns the callback URL the app receives."""
    password = next(u["password"] for u in demo["users"] if u["username"] == username)
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


def test_seed_flow_end_to_end(demo: dict[str, Any], session: Callable[..., OAuth2Session]) -> None:
    base = demo["base"]
    # client_secret_post: the seed's form-body secret
    client = session("demo-web", "client_secret_post", code_challenge_method="S256")
    verifier = generate_token(48)
    authorization_url, _state = client.create_authorization_url(
        f"{base}/oauth/authorize", code_verifier=verifier
    )

    callback = log_in_and_consent(demo, authorization_url, "alice")
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


def test_public_client_with_pkce(demo: dict[str, Any], session: Callable[..., OAuth2Session]) -> None:
    base = demo["base"]
    spa = session("demo-spa", "none", code_challenge_method="S256")
    verifier = generate_token(48)
    url, _state = spa.create_authorization_url(f"{base}/oauth/authorize", code_verifier=verifier)
    callback = log_in_and_consent(demo, url, "bob")
    token = spa.fetch_token(f"{base}/oauth/token", authorization_response=callback, code_verifier=verifier)
    assert spa.get(f"{base}/api/me").json()["client_id"] == "demo-spa"
    refreshed = spa.refresh_token(f"{base}/oauth/token", refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]


def test_confidential_client_with_http_basic(
    demo: dict[str, Any], session: Callable[..., OAuth2Session]
) -> None:
    base = demo["base"]
    client = session("demo-web", "client_secret_basic")
    url, _state = client.create_authorization_url(f"{base}/oauth/authorize")
    callback = log_in_and_consent(demo, url, "bob")
    client.fetch_token(f"{base}/oauth/token", authorization_response=callback)
    assert client.get(f"{base}/api/me").json()["user"]["username"] == "bob"
