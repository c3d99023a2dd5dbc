"""The demo's ``demo-web`` client, as the browser tests drive it: its authorization request
(code + PKCE, at the registered plain-HTTP callback) and its token exchange."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests

CALLBACK = "http://127.0.0.1:8765/callback"


def authorize_url(base: str, challenge: str, scope: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": "demo-web",
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{base}/oauth/authorize?{urlencode(params)}"


def exchange(demo: dict[str, Any], redirect: str, verifier: str) -> dict[str, Any]:
    """The code in ``redirect`` (where the user was sent back) for demo-web's tokens."""
    code = parse_qs(urlparse(redirect).query)["code"][0]
    token = requests.post(
        f"{demo['base']}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": "demo-web",
            "client_secret": demo["secret"]["demo-web"],
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return dict(token.json())
