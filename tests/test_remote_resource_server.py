"""Issue 22, item 3: an API on another server. A separate Django project (tests/remote_service:
its own settings, its own SQLite database, its own process, no perscom_oauth app) protects a DRF
view and a plain view by introspection against a live authorization server, and refuses what
the authorization server would refuse, within its cache bound, over HTTP."""

from __future__ import annotations

import functools
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application, Membership, Organization
from perscom_oauth.views.oauth import IntrospectTokenView
from tests.conftest import free_port, make_member, role
from tests.factories import SECRET, ApplicationFactory, OrganizationFactory
from tests.oauth import OAuthClient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
#: The service's PERSCOM_OAUTH_REMOTE["CACHE_SECONDS"] (tests/remote_service/settings.py).
CACHE_SECONDS = 2
ELSEWHERE = "https://other.example.test/api/"


@pytest.fixture(scope="module")
def service(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The separate service, started with ``manage.py runserver`` in its own process."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path_factory.mktemp("remote-service") / "service.sqlite3"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.remote_service.settings",
        "REMOTE_SERVICE_AUTHORIZATION_SERVER": live_server.url,  # http://localhost:<port>
        "REMOTE_SERVICE_URL": url,
        "REMOTE_SERVICE_CLOSED_PORT": str(free_port()),
        "REMOTE_SERVICE_DATABASE": str(database),
        "REMOTE_SERVICE_CLIENT_SECRET": SECRET,
    }
    django = [sys.executable, "-m", "django"]
    subprocess.run([*django, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    log = (database.parent / "runserver.log").open("w")
    server = subprocess.Popen(
        [*django, "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the service did not start:\n" + (database.parent / "runserver.log").read_text())
            time.sleep(0.1)
        yield {"url": url, "database": database, "authorization_server": live_server.url}
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def organization(db: Any) -> Organization:
    """The organization that answers at the live server's host, ``localhost``."""
    return OrganizationFactory(slug="alpha", name="Alpha Unit", domain__hostname="localhost")


@pytest.fixture
def web(organization: Organization) -> Application:
    return ApplicationFactory(organization=organization, client_id="alpha-web")


@pytest.fixture
def machine(organization: Organization) -> Application:
    return ApplicationFactory(
        organization=organization,
        client_id="alpha-m2m",
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        allowed_scopes="view:user view:rank",
    )


@pytest.fixture
def service_client(organization: Organization) -> Application:
    """The service's own confidential client of the organization, for introspection."""
    return ApplicationFactory(
        organization=organization,
        client_id="reports-service",
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )


@pytest.fixture
def person(organization: Organization) -> Any:
    return make_member(organization, "member", role("Administrator", "*"))


@pytest.fixture
def introspections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every introspection request the live authorization server answers (its thread shares
    this process's classes)."""
    calls: list[str] = []
    original = IntrospectTokenView.dispatch  # the tenant gate's too: a plan refusal counts

    # wraps: as_view() copies csrf_exempt from dispatch when the URLconf loads, maybe after this.
    @functools.wraps(original)
    def counted(view: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(request.POST.get("token", ""))
        return original(view, request, *args, **kwargs)

    monkeypatch.setattr(IntrospectTokenView, "dispatch", counted)
    return calls


@pytest.fixture
def user_token(
    service: dict[str, Any], service_client: Application, person: Any, web: Application
) -> Callable[..., str]:
    def issue(scope: str = "view:user view:rank", **extra: str) -> str:
        response = OAuthClient("localhost").code_flow(person, web, scope=scope, **extra)
        assert response.status_code == 200, response.content
        return str(response.json()["access_token"])

    return issue


@pytest.fixture
def machine_token(
    service: dict[str, Any], service_client: Application, machine: Application
) -> Callable[..., str]:
    def issue(scope: str = "view:user", **extra: str) -> str:
        response = (
            OAuthClient("localhost")
            .client()
            .post(
                "/oauth/token",
                {
                    "grant_type": "client_credentials",
                    "scope": scope,
                    "client_id": "alpha-m2m",
                    "client_secret": SECRET,
                    **extra,
                },
            )
        )
        assert response.status_code == 200, response.content
        return str(response.json()["access_token"])

    return issue


def call(
    service: dict[str, Any], path: str, token: str | None = None, method: str = "GET", host: str | None = None
) -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if host is not None:
        headers["Host"] = host
    return requests.request(method, f"{service['url']}{path}", headers=headers, timeout=15)


def challenge_of(response: requests.Response) -> str:
    return response.headers.get("WWW-Authenticate", "")


def test_a_valid_token_is_served_with_its_user_and_scopes(
    service: dict[str, Any], user_token: Callable[..., str], introspections: list[str]
) -> None:
    token = user_token()
    drf = call(service, "/reports/", token)
    assert drf.status_code == 200, drf.text
    body = drf.json()
    assert body["user"] == "member"
    assert body["client_id"] == "alpha-web"
    assert body["scope"] == "view:rank view:user"
    assert body["organization"] == "alpha"
    assert body["resource"] == []
    plain = call(service, "/ranks/", token)
    assert plain.status_code == 200, plain.text
    assert plain.json() == body
    # The second request came from the service's cache: one introspection for both.
    assert len(introspections) == 1


def test_a_machine_token_has_no_user(service: dict[str, Any], machine_token: Callable[..., str]) -> None:
    response = call(service, "/reports/", machine_token())
    assert response.status_code == 200, response.text
    assert response.json()["user"] is None
    assert response.json()["client_id"] == "alpha-m2m"


def test_within_the_cache_bound_one_introspection_serves_every_request(
    service: dict[str, Any], user_token: Callable[..., str], introspections: list[str]
) -> None:
    token = user_token()
    started = time.monotonic()
    served = [call(service, "/reports/", token).status_code for _ in range(20)]
    assert time.monotonic() - started < CACHE_SECONDS, "too slow to measure the bound"
    assert served == [200] * 20
    assert len(introspections) == 1
    time.sleep(CACHE_SECONDS + 0.2)
    assert call(service, "/reports/", token).status_code == 200
    assert len(introspections) == 2  # past the bound, asked again


def test_no_token_gets_the_bare_challenge(service: dict[str, Any]) -> None:
    metadata = f'resource_metadata="{service["url"]}/.well-known/oauth-protected-resource"'
    for path in ("/reports/", "/ranks/"):
        response = call(service, path)
        assert response.status_code == 401
        # RFC 6750 §3.1: no error code without credentials; RFC 9728 §5.1: the service's document.
        assert challenge_of(response) == f'Bearer realm="api",{metadata}'


def test_a_bad_token_is_invalid_token_and_asked_about_once(
    service: dict[str, Any], service_client: Application, introspections: list[str]
) -> None:
    token = secrets.token_urlsafe(30)
    for path in ("/reports/", "/ranks/", "/reports/"):
        response = call(service, path, token)
        assert response.status_code == 401
        assert 'error="invalid_token"' in challenge_of(response)
    assert introspections == [token]  # the inactive answer is cached too (INACTIVE_CACHE_SECONDS)


def test_a_missing_scope_is_insufficient_scope(
    service: dict[str, Any], user_token: Callable[..., str]
) -> None:
    token = user_token(scope="view:user")
    plain = call(service, "/ranks/", token)
    assert plain.status_code == 403
    assert 'error="insufficient_scope"' in challenge_of(plain)
    assert 'scope="view:rank"' in challenge_of(plain)
    drf = call(service, "/reports/", token, method="POST")
    assert drf.status_code == 403
    assert challenge_of(drf) == (
        f'Bearer realm="api",error="insufficient_scope",scope="create:user",'
        f'resource_metadata="{service["url"]}/.well-known/oauth-protected-resource"'
    )
    assert call(service, "/reports/", token).status_code == 200


def revoke(service: dict[str, Any], token: str, **_: Any) -> None:
    response = requests.post(
        f"{service['authorization_server']}/oauth/revoke",
        data={"token": token, "token_type_hint": "access_token"},
        auth=("alpha-web", SECRET),
        timeout=15,
    )
    assert response.status_code == 200, response.text


def expire(service: dict[str, Any], token: str, **_: Any) -> None:
    get_access_token_model().objects.filter(token_checksum=checksum(token)).update(
        expires=timezone.now() - timedelta(seconds=1)
    )


def suspend_application(service: dict[str, Any], token: str, web: Application, **_: Any) -> None:
    web.enabled = False
    web.save()


def remove_member(
    service: dict[str, Any], token: str, person: Any, organization: Organization, **_: Any
) -> None:
    Membership.objects.get(user=person, organization=organization).delete()


def downgrade_plan(service: dict[str, Any], token: str, organization: Organization, **_: Any) -> None:
    organization.plan = Organization.Plan.PRO
    organization.save()


@pytest.mark.parametrize("change", [revoke, expire, suspend_application, remove_member, downgrade_plan])
def test_a_token_is_refused_within_the_cache_bound(
    service: dict[str, Any],
    user_token: Callable[..., str],
    introspections: list[str],
    change: Callable[..., None],
    web: Application,
    person: Any,
    organization: Organization,
) -> None:
    token = user_token()
    assert call(service, "/reports/", token).status_code == 200
    cached_until = time.monotonic() + CACHE_SECONDS
    change(service, token, web=web, person=person, organization=organization)
    # Within the bound the service's cached answer still serves: the bound is real, and it is
    # what the docs promise (docs/remote-resource-servers.md).
    if time.monotonic() < cached_until - 0.5:
        assert call(service, "/reports/", token).status_code == 200
        assert len(introspections) == 1
    time.sleep(max(0.0, cached_until - time.monotonic()) + 0.2)
    for path in ("/reports/", "/ranks/"):
        refused = call(service, path, token)
        assert refused.status_code == 401, refused.text
        assert 'error="invalid_token"' in challenge_of(refused)
    assert len(introspections) == 2  # asked once past the bound; the refusal is cached briefly


def test_a_downgraded_plan_is_named_in_the_refusal(
    service: dict[str, Any], user_token: Callable[..., str], organization: Organization
) -> None:
    token = user_token()
    organization.plan = Organization.Plan.PRO
    organization.save()
    refused = call(service, "/reports/", token)
    assert refused.status_code == 401
    assert "requires the Enterprise plan" in refused.json()["detail"]


def test_a_token_bound_to_another_resource_is_refused(
    service: dict[str, Any], machine_token: Callable[..., str]
) -> None:
    elsewhere = call(service, "/reports/", machine_token(resource=ELSEWHERE))
    assert elsewhere.status_code == 401
    assert "not valid for this resource" in challenge_of(elsewhere)
    # RFC 8707: bound to this service's resource identifier, it is served here.
    here = call(service, "/reports/", machine_token(resource=f"{service['url']}/"))
    assert here.status_code == 200, here.text
    assert here.json()["resource"] == [f"{service['url']}/"]


def test_the_authorization_server_unreachable_fails_closed(
    service: dict[str, Any], user_token: Callable[..., str]
) -> None:
    token = user_token()
    for host in ("down.test", "wrong-secret.test"):
        for path in ("/reports/", "/ranks/"):
            response = call(service, path, token, host=host)
            assert response.status_code == 503, (host, path, response.text)
            assert "try again later" in response.json()["detail"]
    # A host the service has no authorization server for: the token is refused.
    unknown = call(service, "/reports/", token, host="unknown.test")
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in challenge_of(unknown)


def test_the_service_has_none_of_the_authorization_servers_tables(service: dict[str, Any]) -> None:
    with sqlite3.connect(service["database"]) as database:
        tables = {name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "auth_user" in tables  # its own database, migrated
    assert not {t for t in tables if t.startswith(("perscom_oauth", "oauth2_provider"))}
