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

    def authorization_request(self, user: Any, method: str = "post", /, **params: Any) -> Any:
        """The answer of the authorization endpoint to ``user``, signed in, as it is (no assertion):
        a code request to REDIRECT_URI, with ``params`` (``client_id`` first of all) added or replaced."""
        browser = self.client()
        browser.force_login(user)
        data = {"response_type": "code", "redirect_uri": REDIRECT_URI, **params}
        return (
            browser.get("/oauth/authorize", data)
            if method == "get"
            else browser.post("/oauth/authorize", data)
        )

    def authorize(
        self, user: Any, application: Any, scope: str = "view:user", **extra: str
    ) -> dict[str, str]:
        """Log the user in, approve, and return the redirect's query parameters."""
        approved = extra.pop("approved_scopes", scope).split()
        params = {"client_id": application.client_id, "scope": scope, "state": "state-1", **extra}
        response = self.authorization_request(
            user, "post", **params, approved_scopes=approved, allow="Authorize"
        )
        assert response.status_code == 302, response.content
        return {k: v[0] for k, v in parse_qs(urlparse(response["Location"]).query).items()}

    def pkce_code(
        self, user: Any, application: Any, scope: str = "view:user", **extra: str
    ) -> tuple[str, str]:
        """An authorization code bound to an S256 challenge (RFC 7636), and its code_verifier."""
        verifier, challenge = pkce_pair()
        query = self.authorize(
            user, application, scope, code_challenge=challenge, code_challenge_method="S256", **extra
        )
        return query["code"], verifier

    def code_flow(self, user: Any, application: Any, scope: str = "view:user", **extra: str) -> Any:
        """Authorization code + PKCE, client secret in the body; returns the token response."""
        code, verifier = self.pkce_code(user, application, scope, **extra)
        return self.exchange(application, code, code_verifier=verifier)

    def token(self, **data: str) -> Any:
        return self.client().post("/oauth/token", data)

    def exchange(self, application: Any, code: str, **extra: str | None) -> Any:
        """The code exchange of a confidential client (secret in the body; RFC 6749 §4.1.3).
        ``extra`` adds or replaces fields; None leaves one out (``client_secret=None``: a public client)."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": application.client_id,
            "client_secret": SECRET,
            **extra,
        }
        return self.token(**{name: value for name, value in data.items() if value is not None})

    def refresh(self, application: Any, refresh_token: str, **extra: str) -> Any:
        """The refresh_token grant of a confidential client (RFC 6749 §6)."""
        return self.token(
            grant_type="refresh_token",
            refresh_token=refresh_token,
            client_id=application.client_id,
            client_secret=SECRET,
            **extra,
        )

    def revoke(self, application: Any, token: str) -> Any:
        """RFC 7009 revocation by a confidential client (HTTP Basic)."""
        return self.client().post(
            "/oauth/revoke", {"token": token}, HTTP_AUTHORIZATION=basic_auth(application.client_id)
        )

    def api(self, access_token: str, path: str = "/api/me") -> Any:
        return self.client().get(path, HTTP_AUTHORIZATION=f"Bearer {access_token}")
