"""Per-organization discovery: RFC 8414 metadata, OpenID Connect Discovery 1.0 and the JWKS.

Each organization is its own issuer, the URL of its dashboard host, so every document is
served (and differs) per host, behind the tenant and plan gate.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from jwcrypto import jwk, jwt

from perscom_oauth.models import Application, Organization
from perscom_oauth.scopes.registry import registry
from tests.oauth import OAuthClient, host_of

pytestmark = pytest.mark.django_db

OAUTH_METADATA = "/.well-known/oauth-authorization-server"
OPENID_CONFIGURATION = "/.well-known/openid-configuration"
JWKS = "/oauth/jwks"
DOCUMENTS = [OAUTH_METADATA, OPENID_CONFIGURATION, JWKS]

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
GRANT_TYPES = [
    "authorization_code",
    "implicit",
    "password",
    "client_credentials",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:device_code",  # RFC 8628 §4
]
PLAN_MESSAGE = "OAuth 2.0 requires the Enterprise plan; organization 'Alpha Unit' is on the Pro plan."
BASE = "http://alpha.example.test"
ENDPOINTS = {
    "authorization_endpoint": "/oauth/authorize",
    "token_endpoint": "/oauth/token",
    "revocation_endpoint": "/oauth/revoke",
    "introspection_endpoint": "/oauth/introspect",
    "userinfo_endpoint": "/oauth/userinfo",
    "end_session_endpoint": "/oauth/logout",
    "jwks_uri": "/oauth/jwks",
    "device_authorization_endpoint": "/oauth/device_authorization",
}
#: What both documents say alike.
IN_BOTH = {
    "issuer": BASE,
    "code_challenge_methods_supported": ["S256"],  # RFC 9700 §2.1.1: plain is not accepted
    "token_endpoint_auth_methods_supported": AUTH_METHODS,
    "grant_types_supported": GRANT_TYPES,
    # RFC 9207 §3: iss is sent in every authorization response.
    "authorization_response_iss_parameter_supported": True,
    "client_id_metadata_document_supported": False,
    # OIDC Core §6: request objects are refused (request_not_supported, ...), not ignored.
    "request_parameter_supported": False,
    "request_uri_parameter_supported": False,
    "claims_parameter_supported": False,
}


def urls(*names: str) -> dict[str, str]:
    """The URLs of these endpoints on the organization's host."""
    return {name: BASE + ENDPOINTS[name] for name in names}


def url_fields(document: dict[str, Any]) -> dict[str, Any]:
    """The endpoint URLs of a metadata document (RFC 8414 §2: *_endpoint and jwks_uri)."""
    return {key: value for key, value in document.items() if key.endswith(("_endpoint", "_uri"))}


def fetch(host: str, path: str) -> Any:
    response = OAuthClient(host).client().get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_oauth_server_metadata_document(org: Organization) -> None:
    # RFC 8414 §2, §3.2: the whole document, for the organization of the host.
    document = fetch(host_of(org), OAUTH_METADATA)

    assert url_fields(document) == urls(
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "jwks_uri",
        "device_authorization_endpoint",
    )
    assert document == {
        **url_fields(document),
        **IN_BOTH,
        "scopes_supported": sorted(registry()),
        "response_types_supported": settings.OAUTH2_PROVIDER["OAUTH2_RESPONSE_TYPES_SUPPORTED"],
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
    }
    assert settings.OAUTH2_PROVIDER["OAUTH2_RESPONSE_TYPES_SUPPORTED"] == ["code", "token"]


def test_openid_configuration_document(org: Organization) -> None:
    # OpenID Connect Discovery 1.0 §3, §4.2.
    document = fetch(host_of(org), OPENID_CONFIGURATION)

    assert url_fields(document) == urls(
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "device_authorization_endpoint",
    )
    # Every claim that can be released (tests/test_oidc_behaviour.py checks each against userinfo).
    assert document.pop("claims_supported") == ["email", "name", "organization", "preferred_username", "sub"]
    assert document == {
        **url_fields(document),
        **IN_BOTH,
        "scopes_supported": sorted(registry()),
        "response_types_supported": ["code", "token", "id_token", "id_token token"],
        "subject_types_supported": ["public"],
        # PERSCOM signed HS256 only; here relying parties verify with the JWKS, and each
        # application signs RS256 or ES256 with its organization's keys.
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        # OIDC Core §3.1.2.1: prompt=consent is honoured (always asks).
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        # tests/test_oidc_behaviour.py::test_each_advertised_response_mode_is_honoured
        "response_modes_supported": ["query", "fragment"],
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
    }
    assert document["response_types_supported"] == settings.OAUTH2_PROVIDER["OIDC_RESPONSE_TYPES_SUPPORTED"]


def test_scopes_supported_is_the_permission_registry(org: Organization) -> None:
    # RFC 8414 §2 scopes_supported: the registry, not DOT's SCOPES setting.
    scopes = fetch(host_of(org), OAUTH_METADATA)["scopes_supported"]
    assert scopes == sorted(registry())
    assert {"openid", "profile", "email", "view:user", "create:award", "clear:cache"} <= set(scopes)
    assert fetch(host_of(org), OPENID_CONFIGURATION)["scopes_supported"] == scopes


@pytest.mark.parametrize("path", [OAUTH_METADATA, OPENID_CONFIGURATION])
def test_issuer_and_endpoints_keep_the_port(org: Organization, path: str) -> None:
    # RFC 8414 §2: the issuer is the URL the client used, port included (§3.3: must match).
    base = "http://alpha.example.test:8443"
    document = fetch(f"{host_of(org)}:8443", path)
    assert document["issuer"] == base
    assert document["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert document["token_endpoint"] == f"{base}/oauth/token"
    assert document["jwks_uri"] == f"{base}/oauth/jwks"


@pytest.mark.parametrize("path", [OAUTH_METADATA, OPENID_CONFIGURATION])
def test_each_organization_is_its_own_issuer(org: Organization, other_org: Organization, path: str) -> None:
    # RFC 8414 §3.3 / OIDC Discovery §4.3: issuer equals the URL the document was fetched from.
    alpha = fetch(host_of(org), path)
    bravo = fetch(host_of(other_org), path)
    assert alpha["issuer"] == "http://alpha.example.test"
    assert bravo["issuer"] == "http://bravo.example.test"
    assert bravo["token_endpoint"] == "http://bravo.example.test/oauth/token"


@pytest.mark.parametrize("path", [f"{OAUTH_METADATA}/", f"{OPENID_CONFIGURATION}/", f"{JWKS}/"])
def test_documents_tolerate_a_trailing_slash(org: Organization, path: str) -> None:
    assert OAuthClient(host_of(org)).client().get(path).status_code == 200


def test_both_documents_agree_on_shared_fields(org: Organization) -> None:
    # RFC 8414 §1: a server publishing both documents must publish consistent values.
    oauth = fetch(host_of(org), OAUTH_METADATA)
    oidc = fetch(host_of(org), OPENID_CONFIGURATION)
    shared = set(oauth) & set(oidc)
    assert shared == {
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "jwks_uri",
        "device_authorization_endpoint",
        "scopes_supported",
        "grant_types_supported",
        "response_types_supported",
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
        "code_challenge_methods_supported",
        "authorization_response_iss_parameter_supported",
        "client_id_metadata_document_supported",
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "claims_parameter_supported",
    }
    for key in shared - {"response_types_supported"}:
        assert oauth[key] == oidc[key], key
    # OIDC adds its ID token response types to the plain OAuth ones.
    assert oidc["response_types_supported"][:2] == oauth["response_types_supported"]


def test_openid_configuration_advertises_the_same_grant_types(org: Organization) -> None:
    # OIDC Discovery §3 / RFC 8414 §2: an omitted grant_types_supported means
    # ["authorization_code", "implicit"], so client_credentials, password and refresh_token
    # would be unsupported according to one document and supported according to the other.
    oidc = fetch(host_of(org), OPENID_CONFIGURATION)
    assert oidc.get("grant_types_supported") == fetch(host_of(org), OAUTH_METADATA)["grant_types_supported"]


@pytest.mark.parametrize("path", [OAUTH_METADATA, OPENID_CONFIGURATION])
def test_both_documents_name_revocation_and_introspection(org: Organization, path: str) -> None:
    # RFC 8414 §2 (OIDC Discovery 1.0 §3 uses its registry): a client configured from either
    # document can revoke (RFC 7009) and introspect (RFC 7662), authenticating as at the token
    # endpoint. openid-client reads only openid-configuration (tests/test_conformance.py).
    document = fetch(host_of(org), path)
    assert document["revocation_endpoint"] == f"{BASE}/oauth/revoke"
    assert document["introspection_endpoint"] == f"{BASE}/oauth/introspect"
    assert document["revocation_endpoint_auth_methods_supported"] == AUTH_METHODS
    assert document["introspection_endpoint_auth_methods_supported"] == AUTH_METHODS


def test_jwks_has_the_organizations_signing_keys(org: Organization) -> None:
    # RFC 7517 §4-5: the organization's public keys, one RSA (RS256) and one EC (ES256), for
    # signatures, each named by its thumbprint (RFC 7638). More: tests/test_signing_keys.py.
    keys = {key["alg"]: key for key in fetch(host_of(org), JWKS)["keys"]}
    assert sorted(keys) == ["ES256", "RS256"]
    for alg, kty in [("RS256", "RSA"), ("ES256", "EC")]:
        key = keys[alg]
        public = jwk.JWK(**key)
        published = public.export_public(as_dict=True)
        assert key == {"alg": alg, "use": "sig", "kid": public.thumbprint(), **published}
        assert key["kty"] == kty
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # never the private parts


def test_id_tokens_verify_with_the_published_jwks(
    org: Organization, member: Any, app: Application, oauth: OAuthClient
) -> None:
    # OIDC Core §10.1: the ID token's kid names a key of jwks_uri, which verifies it.
    id_token = oauth.code_flow(member, app, scope="openid").json()["id_token"]
    keys = jwk.JWKSet.from_json(oauth.client().get(JWKS).content)
    token = jwt.JWT(jwt=id_token, key=keys, algs=["RS256"])
    rsa_kids = [key["kid"] for key in fetch(oauth.host, JWKS)["keys"] if key["alg"] == "RS256"]
    assert [token.token.jose_header["kid"]] == rsa_kids
    assert token.token.jose_header["alg"] == "RS256"


@pytest.mark.parametrize("path", DOCUMENTS)
def test_unknown_host_is_404_json(db: Any, path: str) -> None:
    response = OAuthClient("nobody.example.test").client().get(path)
    assert response.status_code == 404
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "No organization answers at host 'nobody.example.test'.",
    }


@pytest.mark.parametrize("path", DOCUMENTS)
def test_organization_without_the_plan_is_403_json(org: Organization, path: str) -> None:
    org.plan = "pro"
    org.save()
    response = OAuthClient(host_of(org)).client().get(path)
    assert response.status_code == 403
    assert response.json() == {"error": "access_denied", "error_description": PLAN_MESSAGE}
    assert "Enterprise plan" in response.json()["error_description"]
