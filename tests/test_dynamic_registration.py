"""Dynamic Client Registration (RFC 7591) and its management (RFC 7592), per organization
(issue 23, part 2), through HTTP on the organizations' hosts: each policy, the success
response, every refusal, the model's rules, redirect URI tricks, capped scopes, another
organization's host, a full code + PKCE flow with a registered client, rotation, deletion,
the throttle, and the last use of an initial access token spent once under concurrency."""

from __future__ import annotations

import html
import inspect
import json
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.db import connection
from jwcrypto import jwk
from oauth2_provider.models import get_access_token_model
from oauth2_provider.views import dynamic_client_registration as base_dcr

from perscom_oauth import compat
from perscom_oauth.audit import Event
from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application, AuditEvent, InitialAccessToken, RegistrationPolicy
from perscom_oauth.registration import initial_tokens
from tests.factories import DomainFactory, OrganizationFactory
from tests.oauth import OAuthClient, basic_auth, host_of, pkce_pair
from tests.signing_support import es256_claims, header, kids

pytestmark = pytest.mark.django_db

CALLBACK = "https://client.example/callback"
LOOPBACK = "http://127.0.0.1/callback"
PUBLIC = {
    "client_name": "Agent",
    "redirect_uris": [CALLBACK, LOOPBACK],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "none",
}


def set_policy(
    organization: Any, mode: str, scopes: str = "openid view:user view:rank"
) -> RegistrationPolicy:
    policy, _ = RegistrationPolicy.objects.update_or_create(
        organization=organization, defaults={"dynamic_registration": mode, "allowed_scopes": scopes}
    )
    return policy


def register(oauth: OAuthClient, metadata: Any = None, token: str | None = None, **extra: Any) -> Any:
    body = (
        metadata
        if isinstance(metadata, (str, bytes))
        else json.dumps(PUBLIC if metadata is None else metadata)
    )
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client = oauth.client()
    client.raise_request_exception = False
    return client.post("/oauth/register", body, content_type="application/json", **extra)


def manage(oauth: OAuthClient, method: str, client_id: str, token: str, body: Any = None) -> Any:
    client = oauth.client()
    extra: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        extra.update(data=json.dumps(body), content_type="application/json")
    return client.generic(method, f"/oauth/register/{client_id}", **extra)


def assert_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert response["Cache-Control"] == "no-store"
    return body


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=kind))


@pytest.fixture
def open_org(org: Any) -> Any:
    set_policy(org, "open")
    return org


@pytest.fixture
def registered(oauth: OAuthClient, open_org: Any) -> dict[str, Any]:
    response = register(oauth)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


# --- the policy modes -----------------------------------------------------------------------------


def test_off_by_default_the_endpoints_do_not_exist(oauth: OAuthClient, org: Any) -> None:
    assert_error(register(oauth), 404, "invalid_request")
    assert_error(manage(oauth, "GET", "anything", "x"), 404, "invalid_request")
    assert not Application.objects.exists()
    document = oauth.client().get("/.well-known/oauth-authorization-server").json()
    assert "registration_endpoint" not in document
    assert document["client_id_metadata_document_supported"] is False


def test_open_registration_answers_rfc_7591_3_2_1(oauth: OAuthClient, open_org: Any) -> None:
    response = register(oauth, {**PUBLIC, "scope": "view:user", "client_uri": "https://client.example/"})
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) >= {
        "client_id",
        "registration_access_token",
        "registration_client_uri",
        "client_id_issued_at",
    }
    assert "client_secret" not in body
    assert body["client_name"] == "Agent"
    assert body["redirect_uris"] == [CALLBACK, LOOPBACK]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["token_endpoint_auth_method"] == "none"
    assert body["scope"] == "view:user"
    assert body["client_uri"] == "https://client.example/"
    assert body["registration_client_uri"] == f"http://{oauth.host}/oauth/register/{body['client_id']}"
    application = Application.objects.get(client_id=body["client_id"])
    assert application.organization == open_org
    assert application.registration_source == "dcr"
    assert application.client_type == Application.CLIENT_PUBLIC
    assert application.allowed_scopes == "view:user"
    assert application.skip_authorization is False
    # RFC 7592 §3 / RFC 9700 §4.14: the registration access token is stored as its checksum only.
    stored = get_access_token_model().objects.get(application=application)
    assert stored.token_checksum == checksum(body["registration_access_token"])
    assert body["registration_access_token"] not in {stored.token, stored.token_checksum}
    (event,) = events(Event.CLIENT_REGISTERED)
    assert event.client_id == body["client_id"] and event.organization_id == open_org.pk


def test_discovery_advertises_the_endpoint_only_where_registration_is_on(
    oauth: OAuthClient, open_org: Any, other_org: Any
) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        document = oauth.client().get(path).json()
        assert document["registration_endpoint"] == f"http://{oauth.host}/oauth/register"
        other = OAuthClient(host_of(other_org)).client().get(path).json()
        assert "registration_endpoint" not in other


def test_metadata_documents_are_advertised_only_where_the_policy_allows_them(
    oauth: OAuthClient, org: Any
) -> None:
    RegistrationPolicy.objects.create(organization=org, metadata_documents="listed")
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        document = oauth.client().get(path).json()
        assert document["client_id_metadata_document_supported"] is True
        assert "registration_endpoint" not in document


def test_a_confidential_client_gets_its_secret_once(oauth: OAuthClient, open_org: Any) -> None:
    metadata = {**PUBLIC, "token_endpoint_auth_method": "client_secret_basic"}
    body = register(oauth, metadata).json()
    assert body["client_secret_expires_at"] == 0
    application = Application.objects.get(client_id=body["client_id"])
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.client_secret != body["client_secret"]  # stored hashed
    granted = oauth.client().post(
        "/oauth/introspect",
        {"token": "x"},
        HTTP_AUTHORIZATION=basic_auth(body["client_id"], body["client_secret"]),
    )
    assert granted.status_code == 200  # the secret authenticates the client


def test_initial_token_policy_requires_this_organizations_token(
    oauth: OAuthClient, org: Any, other_org: Any
) -> None:
    set_policy(org, "initial_token")
    set_policy(other_org, "initial_token")
    missing = register(oauth)
    assert_error(missing, 401, "invalid_token")
    assert missing["WWW-Authenticate"] == "Bearer"  # RFC 6750 §3.1: no error code without a token
    wrong = register(oauth, token="not-a-token")
    assert_error(wrong, 401, "invalid_token")
    assert 'error="invalid_token"' in wrong["WWW-Authenticate"]
    bravo_token = initial_tokens.issue(other_org, label="bravo", lifetime=3600)
    assert_error(register(oauth, token=bravo_token), 401, "invalid_token")
    expired = initial_tokens.issue(org, label="old", lifetime=3600)
    InitialAccessToken.objects.filter(label="old").update(
        expires=InitialAccessToken.objects.get(label="old").created
    )
    assert_error(register(oauth, token=expired), 401, "invalid_token")
    assert not Application.objects.exists()
    assert len(events(Event.REGISTRATION_REFUSED)) == 4

    twice = initial_tokens.issue(org, label="agent", lifetime=timedelta(hours=1), uses=2)
    assert register(oauth, token=twice).status_code == 201
    assert InitialAccessToken.objects.get(label="agent").uses_left == 1
    assert register(oauth, token=twice).status_code == 201
    assert_error(register(oauth, token=twice), 401, "invalid_token")  # used up
    assert InitialAccessToken.objects.get(label="agent").uses_left == 0


def test_a_failed_registration_does_not_spend_a_use(oauth: OAuthClient, org: Any) -> None:
    set_policy(org, "initial_token")
    once = initial_tokens.issue(org, label="once", lifetime=3600, uses=1)
    assert_error(
        register(oauth, {**PUBLIC, "redirect_uris": ["javascript:alert(1)"]}, token=once),
        400,
        "invalid_redirect_uri",
    )
    assert register(oauth, token=once).status_code == 201


def test_unlimited_initial_token_stays_unlimited(oauth: OAuthClient, org: Any) -> None:
    set_policy(org, "initial_token")
    value = initial_tokens.issue(org, label="any", lifetime=3600)
    for _ in range(3):
        assert register(oauth, token=value).status_code == 201
    assert InitialAccessToken.objects.get().uses_left is None


# --- the model's rules and ours -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "mode"),
    [
        # RFC 6749 §4.4: client credentials only for a confidential client (Application.clean()).
        ({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}, "initial_token"),
        # Without an administrator's token, no client acts without a user.
        (
            {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"},
            "open",
        ),
        ({"grant_types": ["implicit"], "redirect_uris": [CALLBACK], "response_types": ["token"]}, "open"),
        ({"grant_types": ["password"], "token_endpoint_auth_method": "client_secret_basic"}, "open"),
        ({"grant_types": ["authorization_code"], "redirect_uris": []}, "open"),  # a code needs a redirect
        ({**PUBLIC, "response_types": ["token"]}, "open"),  # RFC 7591 §2.1: types must agree
        ({**PUBLIC, "token_endpoint_auth_method": "private_key_jwt"}, "open"),
        (
            {**PUBLIC, "grant_types": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"]},
            "open",
        ),
        ({**PUBLIC, "client_name": "x" * 300}, "open"),
        ({**PUBLIC, "logo_uri": "ftp://client.example/logo.png"}, "open"),
    ],
)
def test_every_client_obeys_the_rules(
    oauth: OAuthClient, org: Any, metadata: dict[str, Any], mode: str
) -> None:
    set_policy(org, mode)
    token = initial_tokens.issue(org, label="t", lifetime=3600) if mode == "initial_token" else None
    assert_error(register(oauth, metadata, token=token), 400, "invalid_client_metadata")
    assert not Application.objects.exists()


def test_an_administrator_vouched_machine_client(oauth: OAuthClient, org: Any) -> None:
    set_policy(org, "initial_token", scopes="view:user")
    token = initial_tokens.issue(org, label="m2m", lifetime=3600)
    metadata = {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"}
    body = register(oauth, metadata, token=token).json()
    issued = oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth(body["client_id"], body["client_secret"]),
    )
    assert issued.status_code == 200, issued.content


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://client.example/callback#fragment",
        "https://client.example/callback#",
        "http://client.example/callback",  # plain http off the loopback interface
        "http://127.0.0.1.evil.example/callback",
        "https://client.example@evil.example/callback",
        "https://client.example/callback https://evil.example/callback",  # one URI, not two
        "/relative/callback",
        "",
        "https://[::1/callback",
        "https://client.example:99999/callback",
    ],
)
def test_redirect_uri_tricks_are_invalid_redirect_uri(oauth: OAuthClient, open_org: Any, uri: str) -> None:
    assert_error(register(oauth, {**PUBLIC, "redirect_uris": [uri]}), 400, "invalid_redirect_uri")
    assert not Application.objects.exists()


def test_too_many_redirect_uris(oauth: OAuthClient, open_org: Any) -> None:
    uris = [f"https://client.example/{n}" for n in range(11)]
    assert_error(register(oauth, {**PUBLIC, "redirect_uris": uris}), 400, "invalid_redirect_uri")


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '"a string"',
        "null",
        "[" * 100_000,  # nested past the parser's stack: still invalid_client_metadata
        json.dumps({**PUBLIC, "filler": "x" * 40_000}),  # oversized
        json.dumps({**PUBLIC, "client_name": "a\x00b"}),  # NUL: PostgreSQL stores none
        '{"client_name": "\\ud800", "redirect_uris": ["https://client.example/cb"]}',  # a lone surrogate
        json.dumps({**PUBLIC, "redirect_uris": "https://client.example/cb"}),
        json.dumps({**PUBLIC, "redirect_uris": [1]}),
        json.dumps({**PUBLIC, "grant_types": "authorization_code"}),
        json.dumps({**PUBLIC, "scope": ["view:user"]}),
        json.dumps({**PUBLIC, "client_name": {"a": 1}}),
        b"\xff\xfe",
    ],
)
def test_malformed_and_oversized_registrations(oauth: OAuthClient, open_org: Any, body: str | bytes) -> None:
    assert_error(register(oauth, body), 400, "invalid_client_metadata")
    assert not Application.objects.exists()


def test_a_multipart_body_is_no_metadata(oauth: OAuthClient, open_org: Any) -> None:
    client = oauth.client()
    response = client.post("/oauth/register", {"client_name": "x"})  # multipart/form-data
    assert_error(response, 400, "invalid_client_metadata")


def test_scopes_are_capped_by_the_policy_and_the_registry(oauth: OAuthClient, org: Any) -> None:
    set_policy(org, "open", scopes="openid view:user no:such")
    asked = register(oauth, {**PUBLIC, "scope": "view:user delete:user no:such made:up"}).json()
    assert asked["scope"] == "view:user"
    unasked = register(oauth).json()
    assert unasked["scope"] == "openid view:user"


# --- loopback redirects (RFC 8252 §7.3) and other hosts at the authorization endpoint ------------


def authorize_to(oauth: OAuthClient, member: Any, client_id: str, redirect_uri: str) -> Any:
    _verifier, challenge = pkce_pair()
    return oauth.authorization_request(
        member,
        "post",
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope="view:user",
        code_challenge=challenge,
        code_challenge_method="S256",
        approved_scopes=["view:user"],
        allow="Authorize",
    )


def test_a_loopback_redirect_takes_any_port_and_nothing_else(
    oauth: OAuthClient, member: Any, registered: dict[str, Any]
) -> None:
    client_id = registered["client_id"]
    answered = authorize_to(oauth, member, client_id, "http://127.0.0.1:51234/callback")
    assert answered.status_code == 302
    assert answered["Location"].startswith("http://127.0.0.1:51234/callback?")
    for uri in (
        "http://127.0.0.1.evil.example:51234/callback",
        "http://localhost:51234/callback",
        "http://127.0.0.1:51234/other",
        "https://evil.example/callback",
        "https://client.example:8443/callback",  # a port only varies on the loopback interface
        "https://client.example/callback#x",
    ):
        refused = authorize_to(oauth, member, client_id, uri)
        assert refused.status_code == 400, (uri, refused.status_code)  # an error page, never a redirect
        assert "Location" not in refused


# --- a registered client in use, and at another organization -------------------------------------


def code_flow(oauth: OAuthClient, member: Any, client_id: str, scope: str = "view:user") -> Any:
    verifier, challenge = pkce_pair()
    approved = oauth.authorization_request(
        member,
        "post",
        client_id=client_id,
        redirect_uri=CALLBACK,
        scope=scope,
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
        approved_scopes=scope.split(),
        allow="Authorize",
    )
    assert approved.status_code == 302, approved.content
    code = parse_qs(urlparse(approved["Location"]).query)["code"][0]
    return oauth.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        client_id=client_id,
        code_verifier=verifier,
    )


def test_a_registered_public_client_completes_code_and_pkce(
    oauth: OAuthClient, member: Any, registered: dict[str, Any]
) -> None:
    issued = code_flow(oauth, member, registered["client_id"])
    assert issued.status_code == 200, issued.content
    tokens = issued.json()
    assert tokens["scope"] == "view:user"
    assert oauth.api(tokens["access_token"]).status_code == 200
    refreshed = oauth.token(
        grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=registered["client_id"]
    )
    assert refreshed.status_code == 200, refreshed.content


def test_the_registration_token_is_no_api_credential(
    oauth: OAuthClient, app: Any, registered: dict[str, Any]
) -> None:
    registration = registered["registration_access_token"]
    refused = oauth.api(registration, "/api/me")
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    for method in ("get", "post"):
        assert (
            getattr(oauth.client(), method)(
                "/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {registration}"
            ).status_code
            == 401
        )
    # RFC 7662 §2.2: not active, whoever asks (another client, or the client itself).
    introspected = oauth.client().post(
        "/oauth/introspect", {"token": registration}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert introspected.json() == {"active": False}


def test_another_organizations_host_knows_no_registered_client(
    oauth: OAuthClient, member: Any, other_org: Any, registered: dict[str, Any], admin_role: Any
) -> None:
    from tests.factories import MembershipFactory

    MembershipFactory(user=member, organization=other_org).roles.set([admin_role])
    set_policy(other_org, "open")
    bravo = OAuthClient(host_of(other_org))
    client_id = registered["client_id"]
    shown = authorize_to(bravo, member, client_id, CALLBACK)
    assert shown.status_code == 400
    assert "Invalid client_id parameter value." in html.unescape(shown.content.decode())
    exchanged = bravo.token(
        grant_type="authorization_code",
        code="x",
        redirect_uri=CALLBACK,
        client_id=client_id,
        code_verifier="v" * 43,
    )
    assert exchanged.status_code == 401 and exchanged.json()["error"] == "invalid_client"
    for method in ("GET", "PUT", "DELETE"):
        response = manage(bravo, method, client_id, registered["registration_access_token"], PUBLIC)
        assert_error(response, 401, "invalid_token")
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert Application.objects.filter(client_id=client_id).exists()


def test_a_basic_plan_organization_registers_nothing(oauth: OAuthClient, open_org: Any) -> None:
    open_org.plan = "basic"
    open_org.save()
    assert_error(register(oauth), 403, "access_denied")
    assert not Application.objects.exists()


# --- management (RFC 7592) ---------------------------------------------------------------------


def test_read_returns_the_registration(oauth: OAuthClient, registered: dict[str, Any]) -> None:
    response = manage(oauth, "GET", registered["client_id"], registered["registration_access_token"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == registered


def test_update_rotates_the_registration_token(oauth: OAuthClient, registered: dict[str, Any]) -> None:
    client_id, old = registered["client_id"], registered["registration_access_token"]
    changed = {
        **PUBLIC,
        "client_id": client_id,
        "client_name": "Agent 2",
        "redirect_uris": [CALLBACK],
        "scope": "view:rank",
    }
    response = manage(oauth, "PUT", client_id, old, changed)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["client_name"] == "Agent 2"
        and body["redirect_uris"] == [CALLBACK]
        and body["scope"] == "view:rank"
    )
    new = body["registration_access_token"]
    assert new != old
    assert_error(manage(oauth, "GET", client_id, old), 401, "invalid_token")
    assert manage(oauth, "GET", client_id, new).status_code == 200
    assert get_access_token_model().objects.filter(application__client_id=client_id).count() == 1
    assert len(events(Event.CLIENT_UPDATED)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "someone-else"},
        {"token_endpoint_auth_method": "client_secret_basic"},  # the client type is fixed
        {"grant_types": ["urn:ietf:params:oauth:grant-type:device_code"], "redirect_uris": []},
        {"redirect_uris": ["javascript:alert(1)"]},
        {"id_token_signed_response_alg": "ES256"},  # fixed, as in the admin
        {"id_token_signed_response_alg": "HS256"},
    ],
)
def test_an_update_obeys_the_same_rules(
    oauth: OAuthClient, registered: dict[str, Any], change: dict[str, Any]
) -> None:
    client_id, token = registered["client_id"], registered["registration_access_token"]
    response = manage(oauth, "PUT", client_id, token, {**PUBLIC, **change})
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_client_metadata", "invalid_redirect_uri"}
    assert manage(oauth, "GET", client_id, token).json() == registered  # unchanged, token kept


# --- the ID-token algorithm (OpenID Connect Dynamic Client Registration 1.0 §2) -----------------

ES256 = {**PUBLIC, "id_token_signed_response_alg": "ES256"}


def id_token(oauth: OAuthClient, member: Any, client_id: str) -> str:
    issued = code_flow(oauth, member, client_id, scope="openid")
    assert issued.status_code == 200, issued.content
    return str(issued.json()["id_token"])


def test_an_es256_client_gets_id_tokens_its_organizations_jwks_verifies(
    oauth: OAuthClient, member: Any, open_org: Any
) -> None:
    response = register(oauth, ES256)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_token_signed_response_alg"] == "ES256"
    assert es256_claims(oauth, id_token(oauth, member, body["client_id"]))["aud"] == body["client_id"]
    read = manage(oauth, "GET", body["client_id"], body["registration_access_token"])
    assert read.json()["id_token_signed_response_alg"] == "ES256"


def test_by_default_a_client_gets_rs256_id_tokens(
    oauth: OAuthClient, member: Any, registered: dict[str, Any]
) -> None:
    assert registered["id_token_signed_response_alg"] == "RS256"  # §2: the default, stated
    token = id_token(oauth, member, registered["client_id"])
    assert header(token)["alg"] == "RS256" and header(token)["kid"] in kids(oauth, "RS256")


@pytest.mark.parametrize("alg", ["HS256", "none", "PS256", "RS512", "es256", 256, ["ES256"]])
def test_an_algorithm_this_server_does_not_sign_with_is_refused(
    oauth: OAuthClient, open_org: Any, alg: Any
) -> None:
    body = assert_error(
        register(oauth, {**PUBLIC, "id_token_signed_response_alg": alg}), 400, "invalid_client_metadata"
    )
    assert "id_token_signed_response_alg must be one of: RS256, ES256" in body["error_description"]
    assert not Application.objects.exists()


def test_es256_needs_per_organization_keys(settings: Any, oauth: OAuthClient, open_org: Any) -> None:
    pem = jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": pem}
    body = assert_error(register(oauth, ES256), 400, "invalid_client_metadata")
    assert "must be one of: RS256 " in body["error_description"]  # the global key's only
    assert not Application.objects.exists()
    assert register(oauth).json()["id_token_signed_response_alg"] == "RS256"


def test_without_any_signing_key_no_algorithm_is_stated(
    settings: Any, oauth: OAuthClient, open_org: Any
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": ""}
    body = assert_error(register(oauth, ES256), 400, "invalid_client_metadata")
    assert "this server signs no ID tokens" in body["error_description"]
    registered = register(oauth)
    assert registered.status_code == 201, registered.content
    assert "id_token_signed_response_alg" not in registered.json()  # it signs none


def test_an_update_keeps_an_es256_client_es256(oauth: OAuthClient, open_org: Any) -> None:
    body = register(oauth, ES256).json()
    client_id, token = body["client_id"], body["registration_access_token"]
    # RFC 7592 §2.2: an update replaces the metadata, so leaving it out asks for RS256: refused.
    omitted = manage(oauth, "PUT", client_id, token, {**PUBLIC, "client_id": client_id})
    assert (
        "cannot change after registration (it is ES256)"
        in assert_error(omitted, 400, "invalid_client_metadata")["error_description"]
    )
    updated = manage(oauth, "PUT", client_id, token, {**ES256, "client_id": client_id, "client_name": "B"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["id_token_signed_response_alg"] == "ES256"
    assert Application.objects.get(client_id=client_id).algorithm == "ES256"


def test_delete_revokes_the_clients_tokens(
    oauth: OAuthClient, member: Any, registered: dict[str, Any]
) -> None:
    client_id, token = registered["client_id"], registered["registration_access_token"]
    access = code_flow(oauth, member, client_id).json()["access_token"]
    assert oauth.api(access).status_code == 200
    response = manage(oauth, "DELETE", client_id, token)
    assert response.status_code == 204
    assert not Application.objects.filter(client_id=client_id).exists()
    assert oauth.api(access).status_code == 401
    assert_error(manage(oauth, "GET", client_id, token), 401, "invalid_token")
    assert len(events(Event.CLIENT_DELETED)) == 1
    assert AuditEvent.objects.filter(event=Event.TOKENS_REVOKED, client_id=client_id).exists()


def test_management_needs_the_registration_token(
    oauth: OAuthClient, app: Any, member: Any, registered: dict[str, Any]
) -> None:
    client_id = registered["client_id"]
    missing = oauth.client().get(f"/oauth/register/{client_id}")
    assert missing.status_code == 401
    access = oauth.code_flow(member, app).json()["access_token"]  # an access token is no registration token
    assert_error(manage(oauth, "GET", client_id, access), 401, "invalid_token")
    assert_error(
        manage(oauth, "GET", app.client_id, registered["registration_access_token"]), 401, "invalid_token"
    )


def test_policy_off_closes_management_too(oauth: OAuthClient, org: Any, registered: dict[str, Any]) -> None:
    set_policy(org, "off")
    assert_error(
        manage(oauth, "GET", registered["client_id"], registered["registration_access_token"]),
        404,
        "invalid_request",
    )


# --- the throttle ------------------------------------------------------------------------------


def test_registrations_are_throttled_per_source(settings: Any, oauth: OAuthClient, open_org: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REGISTRATIONS_PER_SOURCE": 2}
    assert register(oauth).status_code == 201
    assert_error(register(oauth, "not json"), 400, "invalid_client_metadata")  # a failure counts too
    flooded = register(oauth)
    assert_error(flooded, 429, "slow_down")
    assert int(flooded["Retry-After"]) >= 1
    assert register(oauth, REMOTE_ADDR="10.0.0.2").status_code == 201  # another source
    assert Application.objects.count() == 2


def test_registrations_are_throttled_per_organization(
    settings: Any, oauth: OAuthClient, open_org: Any, other_org: Any
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "REGISTRATIONS_PER_ORGANIZATION": 2}
    set_policy(other_org, "open")
    for source in ("10.0.0.1", "10.0.0.2"):
        assert register(oauth, REMOTE_ADDR=source).status_code == 201
    assert_error(register(oauth, REMOTE_ADDR="10.0.0.3"), 429, "slow_down")
    assert register(OAuthClient(host_of(other_org)), REMOTE_ADDR="10.0.0.3").status_code == 201


def test_the_throttle_fails_open_when_the_cache_is_down(
    monkeypatch: pytest.MonkeyPatch, oauth: OAuthClient, open_org: Any
) -> None:
    def down(*args: Any) -> Any:
        raise ConnectionError("cache down")

    monkeypatch.setattr("perscom_oauth.tenancy.registration_throttle.reserve", down)
    assert register(oauth).status_code == 201


# --- the base library's private parts we use (perscom_oauth.compat) ------------------------------


@pytest.mark.parametrize("name", sorted(compat.DCR_SIGNATURES))
def test_the_base_librarys_registration_helpers_have_the_signature_we_were_written_for(name: str) -> None:
    target: Any = base_dcr
    for part in name.split("."):
        target = getattr(target, part, None)
        assert target is not None, f"django-oauth-toolkit no longer has {name}"
    assert str(inspect.signature(target)) == compat.DCR_SIGNATURES[name]


# --- the last use of an initial access token, twice at once (PostgreSQL) -------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locking")
def test_the_last_use_is_spent_once(live_server: Any) -> None:
    organization = OrganizationFactory(slug="race", domain=None)
    DomainFactory(organization=organization, hostname="localhost", is_primary=True)
    set_policy(organization, "initial_token")
    for attempt in range(5):
        value = initial_tokens.issue(organization, label=f"last {attempt}", lifetime=3600, uses=1)
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def registration(value: str = value) -> None:
            barrier.wait()
            response = requests.post(
                f"{live_server.url}/oauth/register",
                json=PUBLIC,
                headers={"Authorization": f"Bearer {value}"},
                timeout=30,
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=registration) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [201, 401]
        assert InitialAccessToken.objects.get(label=f"last {attempt}").uses_left == 0
    assert Application.objects.filter(organization=organization).count() == 5
