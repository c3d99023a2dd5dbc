from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.servers.basehttp import WSGIServer
from django.db.models import Q
from django.test import Client, override_settings

from perscom_oauth.cache.health import CacheHealth
from perscom_oauth.models import Application
from tests.admin_support import admin_client, superuser
from tests.factories import ApplicationFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.oauth import OAuthClient, host_of
from tests.skip_summary import reason_of, summary

# The live server's listen backlog: Django's 10 overflows when a test opens 30 connections at
# once on a busy machine (pytest -n), and the kernel resets the ones it cannot queue. Production
# runs gunicorn, whose backlog is 2048.
WSGIServer.request_queue_size = 64


@pytest.fixture
def org(db: Any) -> Any:
    return OrganizationFactory(slug="alpha", name="Alpha Unit")


@pytest.fixture
def other_org(db: Any) -> Any:
    return OrganizationFactory(slug="bravo", name="Bravo Unit")


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throttle counters and cached lookups never leak from one test into the next."""
    cache.clear()
    monkeypatch.setattr(CacheHealth, "down", False)


def role(name: str, *codenames: str) -> Group:
    """A group of permissions of the exposed models (``view`` matches every view_* codename)."""
    group, _ = Group.objects.get_or_create(name=name)
    permissions = Permission.objects.filter(content_type__app_label__in=["auth", "demo"])
    if codenames != ("*",):
        query = Q()
        for codename in codenames:
            query |= Q(codename__startswith=f"{codename}_") if "_" not in codename else Q(codename=codename)
        permissions = permissions.filter(query)
    group.permissions.set(permissions)
    return group


@pytest.fixture
def admin_role(db: Any) -> Group:
    return role("Administrator", "*")


@pytest.fixture
def viewer_role(db: Any) -> Group:
    return role("Viewer", "view")


def make_member(org: Any, username: str, *roles: Group) -> Any:
    membership = MembershipFactory(organization=org, user=UserFactory(username=username))
    membership.roles.set(roles)
    return membership.user


@pytest.fixture
def viewer(org: Any) -> Any:
    """A member of ``org`` with the view permissions only."""
    return make_member(org, "viewer", role("Viewer", "view"))


@pytest.fixture
def hot(oauth: OAuthClient, viewer: Any, app: Application) -> str:
    """A token whose state is cached (token_cache): used once."""
    token = oauth.code_flow(viewer, app, scope="openid view:user view:rank").json()["access_token"]
    assert oauth.api(token, "/api/users/").status_code == 200
    return token


@pytest.fixture
def root(db: Any) -> Any:
    """A superuser."""
    return superuser()


@pytest.fixture
def admin(root: Any) -> Client:
    """The admin site, signed in as ``root``."""
    return admin_client(root)


@pytest.fixture
def member(org: Any, admin_role: Group) -> Any:
    """A member of ``org`` holding every permission there through a role."""
    return make_member(org, "member", admin_role)


@pytest.fixture
def app(org: Any) -> Application:
    return ApplicationFactory(organization=org, client_id="alpha-web")


@pytest.fixture
def machine(org: Any) -> Application:
    """A confidential client of ``org`` for the client_credentials grant."""
    return ApplicationFactory(
        organization=org, client_id="alpha-m2m", authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )


@pytest.fixture
def oauth(org: Any) -> OAuthClient:
    return OAuthClient(host_of(org))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[Any]:
    """A Redis server of this test's own, on its own port: the test stops it, never the shared one."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    caches = {
        "default": {
            "BACKEND": "perscom_oauth.cache.backend.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            # As in production (perscom_oauth.W005): a paused server costs a bounded wait.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
    with override_settings(CACHES=caches):
        yield server
    server.kill()
    server.wait()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line naming what was skipped and what would run it (tests/skip_summary.py)."""
    line = summary(reason_of(report) for report in terminalreporter.stats.get("skipped", []))
    if line:
        terminalreporter.write_line(line, yellow=True)
