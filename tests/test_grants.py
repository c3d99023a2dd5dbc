"""Every grant type of the seed over real HTTP with a third-party client (Authlib), and refused
(RFC 6749 §5.2 ``unauthorized_client``) for applications that do not enable it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from perscom_oauth.models import Application
from tests.browser import Browser
from tests.conftest import make_member, role
from tests.factories import REDIRECT_URI, SECRET, ApplicationFactory, DomainFactory, OrganizationFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any) -> Iterator[dict[str, Any]]:
    """An organization answering at the live server's host, a member, and one app per grant."""
    org = OrganizationFactory(slug="live", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    member = make_member(org, "pilot", role("Administrator", "*"))
    member.set_password("pw")
    member.save()

    def app(grant: str, client_type: str = Application.CLIENT_CONFIDENTIAL) -> Application:
        return ApplicationFactory(
            organization=org,
            authorization_grant_type=grant,
            client_type=client_type,
            client_id=f"{grant}-app",
        )

    sessions: list[OAuth2Session] = []
    yield {
        "base": live_server.url,
        "code": app(Application.GRANT_AUTHORIZATION_CODE),
        "implicit": app(Application.GRANT_IMPLICIT, Application.CLIENT_PUBLIC),
        "machine": app(Application.GRANT_CLIENT_CREDENTIALS),
        "password": app(Application.GRANT_PASSWORD),
        "sessions": sessions,
    }
    for session in sessions:
        session.close()


def client(site: dict[str, Any], app: Application, **kwargs: Any) -> OAuth2Session:
    secret = SECRET if app.client_type == Application.CLIENT_CONFIDENTIAL else None
    session = OAuth2Session(app.client_id, secret, redirect_uri=REDIRECT_URI, **kwargs)
    site["sessions"].append(session)
    return session


def me(site: dict[str, Any], access_token: str) -> dict[str, Any]:
    response = requests.get(
        f"{site['base']}/api/me", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_implicit_grant(site: dict[str, Any]) -> None:
    """Legacy (RFC 9700 §2.1.2): only for applications of that type, token in the fragment."""
    session = client(site, site["implicit"], scope="view:user")
    url, state = session.create_authorization_url(f"{site['base']}/oauth/authorize", response_type="token")
    with Browser() as browser:
        login = browser.open(url)
        consent = browser.follow(browser.submit(login, {"username": "pilot", "password": "pw"}))
        redirect = browser.submit(consent, {"allow": "Authorize"})
    location = redirect.headers["Location"]
    assert location.startswith(REDIRECT_URI + "#")  # RFC 6749 §4.2.2: never in the query
    token = session.token_from_fragment(location)
    assert token["token_type"] == "Bearer"
    assert "refresh_token" not in token  # §4.2.2: no refresh token
    assert parse_qs(urlparse(location).fragment)["state"] == [state]
    assert me(site, token["access_token"])["user"]["username"] == "pilot"


def test_client_credentials_grant(site: dict[str, Any]) -> None:
    session = client(site, site["machine"], scope="view:user")
    token = session.fetch_token(f"{site['base']}/oauth/token", grant_type="client_credentials")
    assert "refresh_token" not in token  # RFC 6749 §4.4.3
    body = me(site, token["access_token"])
    assert body["user"] is None
    assert body["client_id"] == "client-credentials-app"


def test_password_grant(site: dict[str, Any]) -> None:
    """Opt-in per application (RFC 9700 §2.4 says it MUST NOT be used; PERSCOM offers it)."""
    session = client(site, site["password"], scope="view:user update:user")
    token = session.fetch_token(f"{site['base']}/oauth/token", username="pilot", password="pw")
    assert token["scope"] == "view:user update:user"
    assert me(site, token["access_token"])["user"]["username"] == "pilot"
    refreshed = session.refresh_token(f"{site['base']}/oauth/token", refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]


def test_password_grant_with_a_wrong_password(site: dict[str, Any]) -> None:
    response = requests.post(
        f"{site['base']}/oauth/token",
        timeout=10,
        data={
            "grant_type": "password",
            "username": "pilot",
            "password": "nope",
            "scope": "view:user",
            "client_id": "password-app",
            "client_secret": SECRET,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("app_key", "data"),
    [
        ("code", {"grant_type": "client_credentials", "scope": "view:user"}),
        ("code", {"grant_type": "password", "username": "pilot", "password": "pw", "scope": "view:user"}),
        ("machine", {"grant_type": "password", "username": "pilot", "password": "pw", "scope": "view:user"}),
        ("password", {"grant_type": "client_credentials", "scope": "view:user"}),
    ],
)
def test_grant_types_an_application_does_not_enable_are_refused(
    site: dict[str, Any], app_key: str, data: dict[str, str]
) -> None:
    app = site[app_key]
    response = requests.post(
        f"{site['base']}/oauth/token", auth=(app.client_id, SECRET), data=data, timeout=10
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(("app_key", "response_type"), [("code", "token"), ("implicit", "code")])
def test_response_types_an_application_does_not_enable_are_refused(
    site: dict[str, Any], app_key: str, response_type: str
) -> None:
    app = site[app_key]
    url = (
        f"{site['base']}/oauth/authorize?client_id={app.client_id}&response_type={response_type}"
        f"&redirect_uri={REDIRECT_URI}&scope=view:user&state=s"
    )
    # Refused before anyone is asked to sign in: the request is validated first.
    with Browser() as browser:
        answer = browser.session.get(url, allow_redirects=False, timeout=10)
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    params = parse_qs(urlparse(location).query) | parse_qs(urlparse(location).fragment)
    assert params["error"] == ["unauthorized_client"]  # RFC 6749 §4.1.2.1, §4.2.2.1
