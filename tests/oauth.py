"""Test helpers that speak the protocol through the public HTTP surface (Django's test client)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.test import Client

from tests.factories import REDIRECT_URI, SECRET


def host_of(organization: Any) -> str:
    return organization.domains.get(is_primary=True).hostname


def pkce_pair() -> tuple[str, str]:
    """A code_verifier and its S256 code_challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def basic_auth(client_id: str, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class OAuthClient:
    """Drives one organization's endpoints the way a third-party app and its user would."""

    host: str

    def client(self) -> Client:
        return Client(HTTP_HOST=self.host)

    def authorize(
        self, user: Any, application: Any, scope: str = "view:user", **extra: str
    ) -> dict[str, str]:
        """Log the user in, approve, and return the redirect's query parameters."""
        browser = self.client()
        browser.force_login(user)
        params: dict[str, Any] = {
            "response_type": "code",
            "client_id": application.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": "state-1",
            **extra,
        }
        approved = extra.pop("approved_scopes", scope).split()
        response = browser.post(
            "/oauth/authorize", {**params, "approved_scopes": approved, "allow": "Authorize"}
        )
        assert response.status_code == 302, response.content
        return {k: v[0] for k, v in parse_qs(urlparse(response["Location"]).query).items()}

    def code_flow(self, user: Any, application: Any, scope: str = "view:user", **extra: str) -> Any:
        """Authorization code + PKCE, client secret in the body; returns the token response."""
        verifier, challenge = pkce_pair()
        query = self.authorize(
            user, application, scope, code_challenge=challenge, code_challenge_method="S256", **extra
        )
        return self.exchange(application, query["code"], code_verifier=verifier)

    def token(self, **data: str) -> Any:
        return self.client().post("/oauth/token", data)

    def exchange(self, application: Any, code: str, **extra: str) -> Any:
        """The code exchange of a confidential client (secret in the body; RFC 6749 §4.1.3)."""
        return self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            client_id=application.client_id,
            client_secret=SECRET,
            **extra,
        )

    def refresh(self, application: Any, refresh_token: str, **extra: str) -> Any:
        """The refresh_token grant of a confidential client (RFC 6749 §6)."""
        return self.token(
            grant_type="refresh_token",
            refresh_token=refresh_token,
            client_id=application.client_id,
            client_secret=SECRET,
            **extra,
        )

    def api(self, access_token: str, path: str = "/api/me") -> Any:
        return self.client().get(path, HTTP_AUTHORIZATION=f"Bearer {access_token}")
