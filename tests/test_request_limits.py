"""Security review findings 9, 10 and 11: redirect_uri repeated at the token endpoint, codes
stored as checksums, and every request parameter bounded before the database sees it."""

from __future__ import annotations

from typing import Any

import pytest
from oauth2_provider.models import get_grant_model

from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application
from tests.factories import REDIRECT_URI, SECRET
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db


def exchange(oauth: OAuthClient, app: Application, code: str, **extra: str) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id}
    return oauth.token(**data, client_secret=SECRET, **extra)


# --- finding 9: RFC 6749 §4.1.3 ---------------------------------------------------------------


def test_token_request_must_repeat_the_redirect_uri(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    code = oauth.authorize(member, app)["code"]
    omitted = exchange(oauth, app, code)
    assert omitted.status_code == 400
    assert omitted.json()["error"] == "invalid_request"
    # The code was not spent by the refused request: with the redirect_uri it works.
    assert exchange(oauth, app, code, redirect_uri=REDIRECT_URI).status_code == 200


def test_authorization_request_must_name_its_redirect_uri(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    browser = oauth.client()
    browser.force_login(member)
    params = {"response_type": "code", "client_id": app.client_id, "scope": "view:user", "state": "s"}
    for response in (browser.get("/oauth/authorize", params), browser.post("/oauth/authorize", params)):
        assert response.status_code == 400  # an error page: never a redirect (§4.1.2.1)
        assert "Location" not in response


# --- finding 10: codes stored as checksums (RFC 9700 §4.14) -----------------------------------


def test_authorization_codes_are_stored_as_checksums(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    code = oauth.authorize(member, app)["code"]
    stored = get_grant_model().objects.values_list("code", flat=True).get()
    assert stored == checksum(code)
    assert code not in stored
    assert exchange(oauth, app, code, redirect_uri=REDIRECT_URI).status_code == 200
    assert not get_grant_model().objects.exists()  # spent


def test_a_stored_checksum_is_not_a_code(oauth: OAuthClient, member: Any, app: Application) -> None:
    oauth.authorize(member, app)
    stored = get_grant_model().objects.values_list("code", flat=True).get()
    assert exchange(oauth, app, stored, redirect_uri=REDIRECT_URI).status_code == 400


def test_introspection_takes_post_only(oauth: OAuthClient, app: Application) -> None:
    # RFC 7662 §2.1: tokens stay out of URLs (and access logs).
    response = oauth.client().get(
        "/oauth/introspect", {"token": "anything"}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert response.status_code == 405


# --- finding 11: inputs that answered 500 -------------------------------------------------------

OVERSIZED = {
    "code_challenge_method without code_challenge": {"code_challenge_method": "S256" * 3},
    "nonce": {"nonce": "n" * 256, "scope": "openid view:user"},
    "code_challenge": {"code_challenge": "c" * 129, "code_challenge_method": "S256"},
    "client_id": {"client_id": "x" * 256},
}


@pytest.mark.parametrize("extra", OVERSIZED.values(), ids=OVERSIZED.keys())
def test_oversized_authorization_parameters_are_invalid_request(
    oauth: OAuthClient, member: Any, app: Application, extra: dict[str, str]
) -> None:
    params = {"client_id": app.client_id, "scope": "view:user", "state": "s", **extra}
    shown = oauth.authorization_request(member, "get", **params)
    approved = oauth.authorization_request(
        member, **params, approved_scopes=params["scope"].split(), allow="1"
    )
    for response in (shown, approved):
        assert response.status_code == 400
        assert b"longer than" in response.content
    assert not get_grant_model().objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "openid", "code": ""}, "unsupported_grant_type"),
        # Offered since issue 22 (RFC 8628): a poll without its device_code is invalid.
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, "invalid_request"),
        ({"grant_type": "x" * 5000}, "unsupported_grant_type"),
        ({"code": "abc"}, "invalid_request"),
        ({"grant_type": "client_credentials", "client_id": "x" * 256}, "invalid_request"),
    ],
)
def test_token_endpoint_refuses_what_it_does_not_offer(
    oauth: OAuthClient, app: Application, data: dict[str, str], error: str
) -> None:
    response = oauth.client().post("/oauth/token", data, HTTP_AUTHORIZATION=basic_auth(app.client_id))
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert len(response.content) < 1000


def test_oversized_client_id_in_basic_credentials(oauth: OAuthClient) -> None:
    response = oauth.client().post(
        "/oauth/revoke", {"token": "t"}, HTTP_AUTHORIZATION=basic_auth("x" * 256, "secret")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_a_non_ascii_basic_header_is_invalid_client(oauth: OAuthClient, path: str) -> None:
    # base64 raises ValueError (not binascii.Error) on non-ASCII text: it was a 500 (found by
    # hypothesis, issue 13). RFC 6749 §5.2: 401 invalid_client.
    response = oauth.client().post(path, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION="Basic é")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
