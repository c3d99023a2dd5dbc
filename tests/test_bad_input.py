"""Malformed requests get a clear, spec-conformant error: never a 500."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from perscom_oauth.models import Application
from tests.factories import REDIRECT_URI, SECRET
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"grant_type": ""},
        {"grant_type": "authorization_code"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
        {"grant_type": "client_credentials", "client_id": "nope\x00", "client_secret": "x"},
        {
            "grant_type": "refresh_token",
            "refresh_token": "",
            "client_id": "alpha-web",
            "client_secret": SECRET,
        },
        {
            "grant_type": "authorization_code",
            "code": "x" * 5000,
            "client_id": "alpha-web",
            "client_secret": SECRET,
        },
    ],
)
def test_malformed_token_requests(oauth: OAuthClient, app: Application, data: dict[str, str]) -> None:
    response = oauth.client().post("/oauth/token", data)
    assert response.status_code in (400, 401)
    assert response.json()["error"] in {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unsupported_grant_type",
    }


@pytest.mark.parametrize(
    ("path", "data", "header"),
    [
        ("/oauth/token", {"grant_type": "client_credentials", "client_id": "a\x00"}, ""),
        (
            "/oauth/token",
            {"grant_type": "client_credentials"},
            "Basic " + base64.b64encode(b"a%00:b").decode(),
        ),
        (
            "/oauth/token",
            {"grant_type": "client_credentials"},
            "Basic " + base64.b64encode(b"a\x00:b").decode(),
        ),
        ("/oauth/revoke", {"token": "t\x00", "client_id": "alpha-web"}, ""),
        ("/oauth/token", {"grant_type": "refresh_token", "refresh_token": "r\x00"}, "Basic YWxwaGEtd2ViOng="),
    ],
)
def test_nul_bytes_are_invalid_request(
    oauth: OAuthClient, app: Application, path: str, data: dict, header: str
) -> None:
    """PostgreSQL rejects NUL in text: without the guard these would be 500s there."""
    response = oauth.client().post(path, data, HTTP_AUTHORIZATION=header)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_nul_byte_in_authorization_request(oauth: OAuthClient, member: Any, app: Application) -> None:
    browser = oauth.client()
    browser.force_login(member)
    response = browser.get("/oauth/authorize", {"client_id": "alpha-web\x00", "response_type": "code"})
    assert response.status_code == 400


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + "YQ==", "Basic", "Digest abc", "Basic w6k6w6k="])
def test_garbage_client_authentication(oauth: OAuthClient, app: Application, header: str) -> None:
    response = oauth.client().post(
        "/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header
    )
    assert response.status_code in (400, 401)


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer \x7f", "bearer nope"])
def test_garbage_bearer_tokens(oauth: OAuthClient, header: str) -> None:
    response = oauth.client().get("/api/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"client_id": "unknown", "response_type": "code"},
        {"client_id": "alpha-web", "response_type": "code", "redirect_uri": "https://evil.example/cb"},
        {"client_id": "alpha-web", "response_type": "nonsense", "redirect_uri": REDIRECT_URI},
    ],
)
def test_malformed_authorization_requests(
    oauth: OAuthClient, member: Any, app: Application, params: dict[str, str]
) -> None:
    browser = oauth.client()
    browser.force_login(member)
    for response in (browser.get("/oauth/authorize", params), browser.post("/oauth/authorize", params)):
        assert response.status_code in (200, 302, 400), response.status_code
        if response.status_code == 302:  # only ever back to the registered URI (RFC 6749 §4.1.2.1)
            assert response["Location"].startswith(REDIRECT_URI)
            assert "error=" in response["Location"]


def test_consent_post_with_unknown_client(oauth: OAuthClient, member: Any, app: Application) -> None:
    response = oauth.authorization_request(member, client_id="unknown", scope="view:user", allow="1")
    assert response.status_code == 400


def test_revoke_without_token(oauth: OAuthClient, app: Application) -> None:
    response = oauth.client().post("/oauth/revoke", {"client_id": app.client_id, "client_secret": SECRET})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_invalid_host_header_is_a_400(client: Any) -> None:
    assert client.post("/oauth/token", HTTP_HOST="bad host!").status_code == 400


def test_wrong_methods(oauth: OAuthClient) -> None:
    assert oauth.client().get("/oauth/token").status_code == 405
    assert oauth.client().get("/oauth/revoke").status_code == 405


def test_openid_for_an_application_without_a_signing_algorithm(
    oauth: OAuthClient, member: Any, org: Any, settings: Any
) -> None:
    from tests.factories import ApplicationFactory

    app = ApplicationFactory(organization=org)
    Application.objects.filter(pk=app.pk).update(algorithm="")
    # Without a key (check perscom_oauth.E011): with one, an empty algorithm reads as RS256
    # (tests/test_oidc_switched_on.py).
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": ""}
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    response = oauth.authorization_request(member, "get", client_id=app.client_id, scope="openid")
    assert response.status_code == 302
    assert "error=invalid_scope" in response["Location"]  # not a 500 when the ID token is signed


#: A body Django's parsers give up on: a multipart body without its boundary lines (found by
#: the device flow's fuzzing), and more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS.
UNPARSEABLE = {
    "broken multipart": ("multipart/form-data; boundary=x", "state=%00&user_code=" + "x" * 1100),
    "too many fields": ("application/x-www-form-urlencoded", "&".join(f"f{n}=1" for n in range(1100))),
}


@pytest.mark.parametrize(
    "path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/device_authorization"]
)
@pytest.mark.parametrize("content_type, body", UNPARSEABLE.values(), ids=UNPARSEABLE.keys())
def test_a_body_django_cannot_parse_is_invalid_request(
    oauth: OAuthClient, app: Application, path: str, content_type: str, body: str
) -> None:
    # RFC 6749 §5.2: a JSON invalid_request, where Django alone answers its HTML 400 page.
    response = oauth.client().generic("POST", path, body, content_type=content_type)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"
