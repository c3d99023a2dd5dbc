"""OpenID Connect: a relying-party library discovers the organization, validates the ID token
(signature via JWKS, iss, aud, nonce, exp), reads userinfo, and logs out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt

from perscom_oauth.models import Application
from tests.browser import Browser
from tests.conftest import make_member, role
from tests.factories import REDIRECT_URI, SECRET, ApplicationFactory, DomainFactory, OrganizationFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rp(live_server: Any) -> Iterator[dict[str, Any]]:
    org = OrganizationFactory(slug="live", name="Live Unit", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    user = make_member(org, "pilot", role("Viewer", "view"))
    user.set_password("pw")
    user.first_name, user.last_name, user.email = "Pat", "Pilot", "pat@example.test"
    user.save()
    app = ApplicationFactory(
        organization=org, client_id="rp", post_logout_redirect_uris="http://127.0.0.1:8765/bye"
    )
    session = OAuth2Session(
        app.client_id, SECRET, scope="openid profile email view:user", redirect_uri=REDIRECT_URI
    )
    yield {"base": live_server.url, "app": app, "session": session}
    session.close()


def sign_in(rp: dict[str, Any], **extra: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    base, session = rp["base"], rp["session"]
    config = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    nonce = generate_token(20)
    url, _state = session.create_authorization_url(config["authorization_endpoint"], nonce=nonce, **extra)
    with Browser() as browser:
        login = browser.open(url)
        consent = browser.follow(browser.submit(login, {"username": "pilot", "password": "pw"}))
        callback = browser.submit(consent, {"allow": "Authorize"}).headers["Location"]
    token = session.fetch_token(config["token_endpoint"], authorization_response=callback)
    return config, token, nonce


def test_relying_party_validates_the_id_token(rp: dict[str, Any]) -> None:
    config, token, nonce = sign_in(rp)
    assert config["issuer"] == rp["base"]  # the organization's dashboard URL
    jwks = JsonWebKey.import_key_set(requests.get(config["jwks_uri"], timeout=10).json())

    claims = jwt.decode(
        token["id_token"],
        jwks,
        claims_options={
            "iss": {"essential": True, "value": config["issuer"]},
            "aud": {"essential": True, "value": "rp"},
            "nonce": {"essential": True, "value": nonce},
            "exp": {"essential": True},
        },
    )
    claims.validate()  # signature above; iss, aud, nonce, exp here (OIDC Core §3.1.3.7)
    assert claims.header["alg"] == "RS256"
    assert claims["preferred_username"] == "pilot"
    assert claims["organization"] == "live"


def test_userinfo_by_scope(rp: dict[str, Any]) -> None:
    config, token, _nonce = sign_in(rp)
    info = requests.get(
        config["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    ).json()
    assert info == {
        "sub": info["sub"],
        "name": "Pat Pilot",
        "preferred_username": "pilot",
        "email": "pat@example.test",
        "organization": "live",
    }


def test_userinfo_without_profile_and_email_scopes(rp: dict[str, Any]) -> None:
    rp["session"].scope = "openid"
    config, token, _nonce = sign_in(rp)
    info = requests.get(
        config["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    ).json()
    assert set(info) == {"sub", "organization"}  # OIDC Core §5.4: claims by scope


def test_rp_initiated_logout(rp: dict[str, Any]) -> None:
    config, token, _nonce = sign_in(rp)
    with Browser() as browser:
        login = browser.open(f"{rp['base']}/accounts/login/")
        browser.submit(login, {"username": "pilot", "password": "pw"})
        assert browser.session.get(f"{rp['base']}/api/me", timeout=10).status_code == 200
        page = browser.open(
            f"{config['end_session_endpoint']}?id_token_hint={token['id_token']}"
            "&post_logout_redirect_uri=http://127.0.0.1:8765/bye&state=x"
        )
        assert page.status_code == 200
        done = browser.submit(page, {"allow": "Yes"})
        assert done.status_code == 302
        assert done.headers["Location"].startswith("http://127.0.0.1:8765/bye")
        signed_in = browser.session.get(f"{rp['base']}/api/me", timeout=10)
        assert signed_in.status_code == 401  # the browser session is over


def test_implicit_openid_returns_id_token_in_fragment(rp: dict[str, Any]) -> None:
    app: Application = rp["app"]
    app.authorization_grant_type = Application.GRANT_IMPLICIT
    app.save()
    session = OAuth2Session("rp", scope="openid", redirect_uri=REDIRECT_URI)
    try:
        url, _state = session.create_authorization_url(
            f"{rp['base']}/oauth/authorize", response_type="id_token token", nonce="n-1"
        )
        with Browser() as browser:
            login = browser.open(url)
            consent = browser.follow(browser.submit(login, {"username": "pilot", "password": "pw"}))
            location = browser.submit(consent, {"allow": "Authorize"}).headers["Location"]
    finally:
        session.close()
    fragment = session.token_from_fragment(location)
    assert "id_token" in fragment and "access_token" in fragment  # OIDC Core §3.2.2.5
