"""RFC 9700 hardening through the public endpoints: redirect URIs, framing, CORS, bearer
transport, RFC 9207 ``iss``, the client-authentication throttle, secret comparison, and
hostile input on the newer endpoints."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from perscom_oauth.models import Application, Organization
from perscom_oauth.tenancy import throttle
from project.demo.models import Rank
from tests.factories import (
    REDIRECT_URI,
    SECRET,
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
)
from tests.oauth import OAuthClient, basic_auth, host_of

pytestmark = pytest.mark.django_db


def browser_for(oauth: OAuthClient, user: Any) -> Client:
    browser = oauth.client()
    browser.force_login(user)
    return browser


def authorization_params(app: Application, redirect_uri: str = REDIRECT_URI, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": "view:user",
        "state": "st",
        **extra,
    }


def query_of(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


# --- a. exact redirect-URI matching ---------------------------------------------------------

MISMATCHING, INVALID = "Mismatching redirect URI.", "Invalid redirect URI."
REFUSED_REDIRECT_URIS = {  # REDIRECT_URI is http://127.0.0.1:8765/callback
    "different path": ("http://127.0.0.1:8765/other", MISMATCHING),
    "extra path segment": (REDIRECT_URI + "/extra", MISMATCHING),
    "trailing slash": (REDIRECT_URI + "/", MISMATCHING),
    "path case": ("http://127.0.0.1:8765/Callback", MISMATCHING),
    "path parameter": (REDIRECT_URI + ";evil=1", MISMATCHING),
    "added query": (REDIRECT_URI + "?next=https://evil.example", MISMATCHING),
    "empty query": (REDIRECT_URI + "?", MISMATCHING),
    "fragment": (REDIRECT_URI + "#x", INVALID),
    "different scheme": ("https://127.0.0.1:8765/callback", MISMATCHING),
    "different host": ("http://localhost:8765/callback", MISMATCHING),
    "attacker host": ("https://evil.example/callback", MISMATCHING),
    "userinfo trick": ("http://127.0.0.1:8765@evil.example/callback", INVALID),
    "loopback userinfo": ("http://evil.example@127.0.0.1:8765/callback", INVALID),
}


@pytest.mark.parametrize(("uri", "message"), REFUSED_REDIRECT_URIS.values(), ids=REFUSED_REDIRECT_URIS.keys())
def test_redirect_uri_must_match_exactly(
    oauth: OAuthClient, member: Any, app: Application, uri: str, message: str
) -> None:
    # RFC 9700 §2.1 / RFC 6749 §3.1.2.3 and §4.1.2.1: exact string match; on mismatch the
    # user sees an error page and is never sent to the unregistered URI.
    browser = browser_for(oauth, member)
    params = authorization_params(app, uri)
    shown = browser.get("/oauth/authorize", params)
    approved = browser.post("/oauth/authorize", {**params, "approved_scopes": "view:user", "allow": "1"})
    for response in (shown, approved):
        assert response.status_code == 400
        assert not response.has_header("Location")
        content = response.content.decode()
        assert "invalid_request" in content
        assert message in content
    assert not app.grant_set.exists()


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:49152/callback", "http://127.0.0.1/callback"], ids=["other-port", "no-port"]
)
def test_loopback_redirect_uri_may_use_any_port(
    oauth: OAuthClient, member: Any, app: Application, uri: str
) -> None:
    # RFC 8252 §7.3: for a registered http://127.0.0.1 URI the port is chosen at request time
    # (django-oauth-toolkit's check_redirect_to_uri_allowed exempts loopback IPs from the port).
    browser = browser_for(oauth, member)
    params = authorization_params(app, uri)
    assert browser.get("/oauth/authorize", params).status_code == 200
    response = browser.post("/oauth/authorize", {**params, "approved_scopes": "view:user", "allow": "1"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{uri}?")
    query = query_of(location)
    assert query["state"] == "st"

    # RFC 6749 §4.1.3: the token request repeats the very same redirect_uri.
    token = oauth.exchange(app, query["code"], redirect_uri=uri)
    assert token.status_code == 200, token.content


def test_loopback_port_exemption_keeps_the_path_exact(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    # RFC 8252 §7.3 relaxes only the port.
    response = browser_for(oauth, member).get(
        "/oauth/authorize", authorization_params(app, "http://127.0.0.1:49152/other")
    )
    assert response.status_code == 400
    assert not response.has_header("Location")


def test_code_for_one_loopback_port_is_not_redeemed_with_another(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    # RFC 6749 §4.1.3: redirect_uri at the token endpoint must be identical to the request's.
    query = oauth.authorize(member, app, redirect_uri="http://127.0.0.1:49152/callback")
    response = oauth.exchange(app, query["code"])
    assert response.status_code == 400
    # §5.2: invalid_grant (oauthlib's invalid_request is put right: server.standard_errors).
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("https://rp.example/callback", "https://rp.example:8443/callback"),
        ("https://rp.example:8443/callback", "https://rp.example/callback"),
        ("http://localhost:8765/callback", "http://localhost:9999/callback"),
    ],
)
def test_port_is_exact_for_non_loopback_ip_uris(
    oauth: OAuthClient, member: Any, org: Organization, registered: str, requested: str
) -> None:
    # RFC 9700 §2.1: only loopback IP literals get RFC 8252 §7.3's exemption ("localhost"
    # is NOT RECOMMENDED by RFC 8252 §8.3 and is matched exactly).
    rp = ApplicationFactory(organization=org, redirect_uris=registered)
    browser = browser_for(oauth, member)
    assert browser.get("/oauth/authorize", authorization_params(rp, registered)).status_code == 200
    response = browser.get("/oauth/authorize", authorization_params(rp, requested))
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert "Mismatching redirect URI." in response.content.decode()


# --- b. framing: the consent page and its error pages ---------------------------------------


def assert_not_frameable(response: Any) -> None:
    # RFC 9700 §4.16 (clickjacking): both the legacy header and CSP frame-ancestors.
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_consent_page_cannot_be_framed(oauth: OAuthClient, member: Any, app: Application) -> None:
    response = browser_for(oauth, member).get("/oauth/authorize", authorization_params(app))
    assert response.status_code == 200
    assert b'id="authorizationForm"' in response.content
    assert_not_frameable(response)


def error_pages(oauth: OAuthClient, member: Any, app: Application, org: Organization) -> dict[str, Any]:
    browser = browser_for(oauth, member)
    pages = {
        "redirect-mismatch": (
            400,
            browser.get("/oauth/authorize", authorization_params(app, "https://evil.example/")),
        ),
        "unknown-client": (
            400,
            browser.get("/oauth/authorize", {"client_id": "nope", "response_type": "code"}),
        ),
        "nul-byte": (400, browser.get("/oauth/authorize", {"client_id": "a\x00"})),
        "tampered-post": (400, browser.post("/oauth/authorize", {"client_id": app.client_id})),
        "unknown-host": (404, Client(HTTP_HOST="nobody.example.test").get("/oauth/authorize")),
    }
    stranger = MembershipFactory(organization=OrganizationFactory(slug="elsewhere")).user
    not_member = OAuthClient(host_of(org)).client()
    not_member.force_login(stranger)
    pages["not-a-member"] = (403, not_member.get("/oauth/authorize", authorization_params(app)))
    org.plan = "pro"
    org.save()
    pages["no-plan"] = (403, browser.get("/oauth/authorize", authorization_params(app)))
    return pages


def test_authorization_error_pages_cannot_be_framed(
    oauth: OAuthClient, member: Any, app: Application, org: Organization
) -> None:
    pages = error_pages(oauth, member, app, org)
    assert set(pages) == {
        "redirect-mismatch",
        "unknown-client",
        "nul-byte",
        "tampered-post",
        "unknown-host",
        "not-a-member",
        "no-plan",
    }
    for name, (status, response) in pages.items():
        assert response.status_code == status, name
        assert response["Content-Type"].startswith("text/html"), name
        assert_not_frameable(response)


# --- c. no CORS on the authorization endpoint -----------------------------------------------


@pytest.mark.parametrize("logged_in", [True, False], ids=["member", "anonymous"])
@pytest.mark.parametrize("method", ["get", "options"])
def test_authorization_endpoint_sends_no_cors_headers(
    oauth: OAuthClient, member: Any, app: Application, method: str, logged_in: bool
) -> None:
    # RFC 9700 §4.16 / RFC 6749 §3.1: the authorization endpoint is for top-level navigation
    # only; it grants no cross-origin read access, preflight included.
    browser = browser_for(oauth, member) if logged_in else oauth.client()
    response = getattr(browser, method)(
        "/oauth/authorize",
        authorization_params(app) if method == "get" else {},
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert response.status_code == (200 if logged_in else 302)  # anonymous: sent to log in
    cors = [header for header in response.headers if header.lower().startswith("access-control-")]
    assert cors == []


# --- d. bearer tokens only in the Authorization header --------------------------------------


@pytest.fixture
def rank_token(oauth: OAuthClient, member: Any, app: Application) -> str:
    return oauth.code_flow(member, app, scope="view:rank create:rank openid").json()["access_token"]


def test_bearer_token_in_the_header_works(oauth: OAuthClient, rank_token: str) -> None:
    # Control for the refusals below (RFC 6750 §2.1).
    client = oauth.client()
    header = {"HTTP_AUTHORIZATION": f"Bearer {rank_token}"}
    assert client.get("/api/ranks/", **header).status_code == 200
    assert client.post("/api/ranks/", {"name": "Private"}, **header).status_code == 201
    assert client.get("/oauth/userinfo", **header).status_code == 200


def test_bearer_token_in_the_query_string_is_refused(oauth: OAuthClient, rank_token: str) -> None:
    # RFC 6750 §2.3 is not honoured (RFC 9700 §4.3.2: tokens leak from URLs).
    client = oauth.client()
    listed = client.get("/api/ranks/", {"access_token": rank_token})
    created = client.post(f"/api/ranks/?access_token={rank_token}", {"name": "Sneaky"})
    metadata = "http://alpha.example.test/.well-known/oauth-protected-resource/api"
    for response in (listed, created):
        assert response.status_code == 401  # a bare challenge: no credentials were presented
        assert response["WWW-Authenticate"] == f'Bearer realm="api",resource_metadata="{metadata}"'
    assert not Rank.objects.exists()


def test_bearer_token_in_a_form_body_is_refused(oauth: OAuthClient, rank_token: str) -> None:
    # RFC 6750 §2.2 is not honoured either (RFC 9700 §4.3.2; README: header only).
    response = oauth.client().post("/api/ranks/", {"access_token": rank_token, "name": "Sneaky"})
    assert response.status_code == 401
    assert not Rank.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_takes_the_bearer_token_only_from_the_header(
    oauth: OAuthClient, rank_token: str, method: str
) -> None:
    # RFC 9700 §4.3.2: the query string (GET) and form body (POST) are refused here too.
    response = getattr(oauth.client(), method)("/oauth/userinfo", {"access_token": rank_token})
    assert response.status_code == 401


# --- e. RFC 9207 iss in authorization responses ----------------------------------------------


@pytest.mark.parametrize("port", ["", ":8443"])
def test_iss_in_the_authorization_response_is_the_metadata_issuer(
    org: Organization, member: Any, app: Application, port: str
) -> None:
    # RFC 9207 §2: iss equals the issuer of the RFC 8414 metadata (§2.4 comparison).
    oauth = OAuthClient(host_of(org) + port)
    issuer = oauth.client().get("/.well-known/oauth-authorization-server").json()["issuer"]
    assert issuer == f"http://alpha.example.test{port}"
    assert oauth.authorize(member, app)["iss"] == issuer


@pytest.mark.parametrize("case", ["access_denied", "invalid_scope"])
def test_iss_in_the_authorization_error_response(
    oauth: OAuthClient, member: Any, app: Application, case: str
) -> None:
    # RFC 9207 §2: "including error responses" (RFC 6749 §4.1.2.1).
    browser = browser_for(oauth, member)
    if case == "access_denied":
        # The consent screen's Cancel (a POST without it is a request, OIDC Core §3.1.2.1).
        response = browser.post("/oauth/authorize", {**authorization_params(app), "cancel": "cancel"})
    else:
        response = browser.get("/oauth/authorize", authorization_params(app, scope="nope:nothing"))
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == case
    assert query["state"] == "st"
    assert query["iss"] == "http://alpha.example.test"


# --- f. client-authentication brute-force throttle -------------------------------------------


@pytest.fixture
def throttle_of(settings: Any) -> Any:
    def configure(failures: int, window: int = 300, source: int = 100) -> None:
        settings.PERSCOM_OAUTH = {
            **settings.PERSCOM_OAUTH,
            "THROTTLE_FAILURES": failures,
            "THROTTLE_SOURCE_FAILURES": source,
            "THROTTLE_WINDOW_SECONDS": window,
        }

    return configure


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """perscom_oauth.tenancy.throttle's time, and only its: 60 s into a 300 s window."""
    now = SimpleNamespace(value=999_999_900.0 + 60)  # 999_999_900 is a multiple of 300
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: now.value))
    return now


def client_credentials(
    oauth: OAuthClient, client_id: str, secret: str = SECRET, ip: str = "127.0.0.1"
) -> Any:
    return oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth(client_id, secret),
        REMOTE_ADDR=ip,
    )


def assert_throttled(response: Any, window: int = 300) -> int:
    # RFC 6585 §4 (429 + Retry-After); RFC 9700 §4.15 asks for brute-force protection.
    assert response.status_code == 429
    assert response.json() == {
        "error": "slow_down",
        "error_description": "Too many failed attempts; retry later.",
    }
    assert response["Cache-Control"] == "no-store"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= window
    return retry_after


@pytest.mark.parametrize(
    ("limit", "wrong_ones", "throttled"),
    [(3, 3, True), (3, 2, False), (0, 15, False)],
    ids=[
        "refused after too many wrong ones",
        "failures below the limit",
        "zero failures disables the throttle",
    ],
)
def test_the_right_secret_after_wrong_ones(
    oauth: OAuthClient, machine: Application, throttle_of: Any, limit: int, wrong_ones: int, throttled: bool
) -> None:
    throttle_of(limit)
    for _attempt in range(wrong_ones):
        assert client_credentials(oauth, machine.client_id, "wrong").status_code == 401
    right = client_credentials(oauth, machine.client_id)
    if throttled:
        assert_throttled(right)
    else:
        assert right.status_code == 200


def test_guesses_from_elsewhere_never_lock_the_client_out(
    oauth: OAuthClient, machine: Application, throttle_of: Any
) -> None:
    # Security review finding 3: the client counter is per client *and* source address, so a
    # guesser slows only itself (a 256-bit secret is not guessable online anyway).
    throttle_of(3)
    for _attempt in range(10):
        client_credentials(oauth, machine.client_id, "wrong", ip="127.0.0.13")
    assert_throttled(client_credentials(oauth, machine.client_id, ip="127.0.0.13"))
    assert client_credentials(oauth, machine.client_id, ip="127.0.0.1").status_code == 200


def test_source_ceiling_holds_across_clients(oauth: OAuthClient, org: Organization, throttle_of: Any) -> None:
    throttle_of(3, source=5)
    clients = [
        ApplicationFactory(
            organization=org,
            client_id=f"m2m-{n}",
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        )
        for n in range(6)
    ]
    for app in clients[:5]:  # one failure each: no client counter reaches 3
        assert client_credentials(oauth, app.client_id, "wrong", ip="10.0.0.9").status_code == 401
    last = clients[5].client_id
    assert_throttled(client_credentials(oauth, last, ip="10.0.0.9"))
    assert client_credentials(oauth, last, ip="10.0.0.10").status_code == 200


def test_retry_after_is_what_is_left_of_the_window_and_it_recovers(
    oauth: OAuthClient, machine: Application, throttle_of: Any, clock: SimpleNamespace
) -> None:
    throttle_of(3, window=300)
    for _attempt in range(3):
        assert client_credentials(oauth, machine.client_id, "wrong").status_code == 401
    assert assert_throttled(client_credentials(oauth, machine.client_id)) == 240

    clock.value += 239  # the last second of the window
    assert assert_throttled(client_credentials(oauth, machine.client_id)) == 1

    clock.value += 1  # the next window
    assert client_credentials(oauth, machine.client_id).status_code == 200


def test_revocation_and_introspection_are_throttled(
    oauth: OAuthClient, member: Any, app: Application, throttle_of: Any
) -> None:
    throttle_of(3)
    access_token = oauth.code_flow(member, app).json()["access_token"]
    right = {"HTTP_AUTHORIZATION": basic_auth(app.client_id)}
    wrong = {"HTTP_AUTHORIZATION": basic_auth(app.client_id, "wrong")}
    client = oauth.client()
    for path in ("/oauth/revoke", "/oauth/introspect", "/oauth/revoke"):
        assert client.post(path, {"token": access_token}, **wrong).status_code == 401
    for path in ("/oauth/revoke", "/oauth/introspect", "/oauth/token"):
        assert_throttled(client.post(path, {"token": access_token}, **right))
    # Nothing got through: the token is still live.
    assert oauth.api(access_token).status_code == 200


def test_introspection_failures_alone_trip_the_throttle(
    oauth: OAuthClient, app: Application, throttle_of: Any
) -> None:
    throttle_of(3)
    client = oauth.client()
    for _attempt in range(3):
        response = client.post(
            "/oauth/introspect", {"token": "t", "client_id": app.client_id, "client_secret": "x"}
        )
        assert response.status_code == 401
    assert_throttled(
        client.post("/oauth/introspect", {"token": "t", "client_id": app.client_id, "client_secret": SECRET})
    )


# --- g. client secrets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [SECRET[:-1] + chr(ord(SECRET[-1]) + 1), SECRET + "x", SECRET[:-1], "", SECRET.upper()],
    ids=["last-char", "extra-char", "truncated", "empty", "case"],
)
def test_only_the_exact_secret_authenticates(oauth: OAuthClient, machine: Application, secret: str) -> None:
    # RFC 6749 §2.3.1, §5.2 invalid_client. Hashes are compared in constant time, see
    # test_secret_comparison_is_constant_time.
    response = client_credentials(oauth, machine.client_id, secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert client_credentials(oauth, machine.client_id).status_code == 200


def test_secret_comparison_is_constant_time(
    oauth: OAuthClient, machine: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perscom_oauth import hashing

    compared: list[bool] = []
    original = hashing.constant_time_compare

    def spy(first: Any, second: Any) -> bool:
        compared.append(original(first, second))
        return compared[-1]

    monkeypatch.setattr(hashing, "constant_time_compare", spy)
    assert client_credentials(oauth, machine.client_id, SECRET + "x").status_code == 401
    assert client_credentials(oauth, machine.client_id).status_code == 200
    assert compared == [False, True]
    # Hashed at rest: the stored value is not the secret.
    machine.refresh_from_db()
    assert machine.client_secret != SECRET
    assert hashing.is_ours(machine.client_secret)


# --- h. hostile input on the newer endpoints -------------------------------------------------

NUL_BASIC = "Basic " + base64.b64encode(b"alpha-web%00:x").decode()
LATIN1_BASIC = "Basic " + base64.b64encode("\u00e9:\u00e9".encode("latin-1")).decode()
MALFORMED = [
    ("post", "/oauth/introspect", {"token": "t\x00"}, "basic", 400),
    ("get", "/oauth/introspect", {"token": "t\x00"}, "basic", 400),
    (
        "post",
        "/oauth/introspect",
        {"token": "t", "client_id": "alpha-web\x00", "client_secret": "x"},
        "",
        400,
    ),
    ("post", "/oauth/introspect", {"token": "t"}, NUL_BASIC, 400),
    ("post", "/oauth/introspect", {"token": "x" * 10_000}, "basic", 200),
    ("post", "/oauth/introspect", {"token": "\u202e\ud7ff\U0001f600"}, "basic", 200),
    ("post", "/oauth/introspect", {"token": "t"}, "Basic !!!", 401),
    ("post", "/oauth/introspect", {"token": "t"}, "Basic", 401),
    ("post", "/oauth/introspect", {"token": "t"}, LATIN1_BASIC, 401),
    ("post", "/oauth/introspect", {"token": "t"}, "Bearer", 401),
    ("put", "/oauth/introspect", {}, "basic", 405),
    ("delete", "/oauth/introspect", {}, "basic", 405),
    ("patch", "/oauth/introspect", {}, "basic", 405),
    ("get", "/oauth/userinfo", {}, "", 401),
    ("get", "/oauth/userinfo", {}, "Bearer", 401),
    ("get", "/oauth/userinfo", {}, "Bearer \x7f", 401),
    ("get", "/oauth/userinfo", {}, "Bearer " + "x" * 5000, 401),
    ("post", "/oauth/userinfo", {"junk": "\x00"}, "Bearer t", 400),
    ("get", "/oauth/userinfo", {}, "basic", 401),
    ("put", "/oauth/userinfo", {}, "", 405),
    ("delete", "/oauth/userinfo", {}, "", 405),
    ("get", "/oauth/logout", {"id_token_hint": "a.b.c"}, "", 400),
    ("get", "/oauth/logout", {"id_token_hint": "\x00"}, "", 400),
    ("get", "/oauth/logout", {"id_token_hint": "x" * 5000}, "", 400),
    ("get", "/oauth/logout", {"post_logout_redirect_uri": "javascript:alert(1)"}, "", 400),
    (
        "get",
        "/oauth/logout",
        {"client_id": "alpha-web", "post_logout_redirect_uri": "https://evil.example/"},
        "",
        400,
    ),
    ("get", "/oauth/logout", {"client_id": "alpha-web", "post_logout_redirect_uri": "no-scheme"}, "", 400),
    # Nobody signed in and no client: a "no session here to end" page (RP-Initiated Logout §2).
    ("get", "/oauth/logout", {"state": "\u2603" * 100, "ui_locales": "x" * 5000}, "", 200),
    ("post", "/oauth/logout", {"allow": "garbage", "id_token_hint": "a.b"}, "", 400),
    ("delete", "/oauth/logout", {}, "", 405),
    ("get", "/.well-known/openid-configuration", {"x": "\x00"}, "", 400),
    ("get", "/.well-known/oauth-authorization-server", {"x": "\x00"}, "", 400),
    ("get", "/.well-known/oauth-authorization-server", {"x": "y" * 5000, "z": "\u2603"}, "", 200),
    ("get", "/.well-known/oauth-authorization-server/tenant", {}, "", 404),
    ("post", "/.well-known/oauth-authorization-server", {}, "", 405),
    ("post", "/.well-known/openid-configuration", {"x": "\x00"}, "", 400),
    ("put", "/.well-known/openid-configuration", {}, "", 405),
    ("get", "/oauth/jwks", {"kid": "\x00"}, "", 400),
    ("delete", "/oauth/jwks", {}, "", 405),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "auth", "status"),
    MALFORMED,
    ids=[f"{m}-{p.rsplit('/', 1)[-1]}-{n}" for n, (m, p, *_rest) in enumerate(MALFORMED)],
)
def test_hostile_input_gets_a_clear_answer(
    oauth: OAuthClient, app: Application, method: str, path: str, data: dict, auth: str, status: int
) -> None:
    client = Client(HTTP_HOST=oauth.host, raise_request_exception=False)
    header = basic_auth(app.client_id) if auth == "basic" else auth
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = getattr(client, method)(path, data, **extra)
    assert response.status_code == status, response.content[:300]
    if status == 400 and response["Content-Type"] == "application/json":
        assert response.json()["error"] == "invalid_request"


def test_introspection_json_body_is_invalid_request(oauth: OAuthClient, app: Application) -> None:
    # RFC 7662 §2.1: application/x-www-form-urlencoded only; a JSON body carries no token.
    response = oauth.client().post(
        "/oauth/introspect",
        '{"token": "t"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("extra", [{}, {"post_logout_redirect_uri": "https://evil.example/"}])
def test_logout_with_an_unknown_client_id_is_400(oauth: OAuthClient, app: Application, extra: dict) -> None:
    # OIDC RP-Initiated Logout 1.0 §2/§4: an invalid request is an error page, never a 500.
    client = Client(HTTP_HOST=oauth.host, raise_request_exception=False)
    response = client.get("/oauth/logout", {"client_id": "nope", **extra})
    assert response.status_code == 400


def test_logout_never_redirects_for_another_organizations_client(
    oauth: OAuthClient, app: Application, other_org: Organization
) -> None:
    # RFC 6749 §5.2 isolation (README): on this host another organization's client is
    # unknown, so its post_logout_redirect_uri is not honoured here.
    ApplicationFactory(
        organization=other_org,
        client_id="bravo-web",
        post_logout_redirect_uris="https://bravo-rp.example/bye",
    )
    response = oauth.client().get(
        "/oauth/logout",
        {"client_id": "bravo-web", "post_logout_redirect_uri": "https://bravo-rp.example/bye"},
    )
    assert response.status_code == 400
    assert not response.has_header("Location")
