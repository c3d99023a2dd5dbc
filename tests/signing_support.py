"""Helpers for the ID-token signing tests: an organization's JWKS, a token's header, and a
relying party's check of an ES256 ID token against that JWKS."""

from __future__ import annotations

import json
from typing import Any

from jwcrypto import jwk, jws, jwt

from tests.oauth import OAuthClient

JWKS = "/oauth/jwks"


def jwks(oauth: OAuthClient) -> jwk.JWKSet:
    response = oauth.client().get(JWKS)
    assert response.status_code == 200
    return jwk.JWKSet.from_json(response.content)


def header(token: str) -> dict[str, Any]:
    signed = jws.JWS()
    signed.deserialize(token)
    return dict(signed.jose_header)


def kids(oauth: OAuthClient, alg: str = "RS256") -> set[str]:
    return {key["kid"] for key in oauth.client().get(JWKS).json()["keys"] if key["alg"] == alg}


def es256_claims(oauth: OAuthClient, token: str) -> dict[str, Any]:
    """The claims of ``token``, once checked as a relying party does: signed ES256 by the key of
    the organization's JWKS that its header names (RFC 7515 §4.1.4), and by no other algorithm."""
    assert header(token)["alg"] == "ES256"
    assert header(token)["kid"] in kids(oauth, "ES256")
    verified = jwt.JWT(jwt=token, key=jwks(oauth), algs=["ES256"], check_claims={})
    claims: dict[str, Any] = json.loads(verified.claims)
    return claims
