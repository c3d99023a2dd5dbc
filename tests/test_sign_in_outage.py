"""Signing in while the cache is unreachable (issue 19, M1): the sign-in pages and the password
grant keep working, and only the lockout (django-axes' counters, kept in the cache) is off
meanwhile, with a logged warning: access fails closed, throttling fails open (SECURITY.md,
"Outages").

A Redis server of the test's own (``own_redis``), stopped or paused (SIGSTOP: a host that no
longer answers, so that every call waits for the client's socket timeout); never a mock.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings

from perscom_oauth.models import Application
from tests.factories import SECRET, ApplicationFactory, UserFactory
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db

LIMIT = 10
GUESSER = "203.0.113.7"

PAGES = pytest.mark.parametrize(
    ("path", "staff"), [("/accounts/login/", False), ("/admin/login/", True)], ids=["accounts", "admin"]
)


def stop(server: Any) -> None:
    server.kill()
    server.wait()


def pause(server: Any) -> None:
    server.send_signal(signal.SIGSTOP)


# Stopped: connections are refused at once. Paused: every call waits for the socket timeout.
OUTAGES = pytest.mark.parametrize("outage", [stop, pause], ids=["stopped", "paused"])


@pytest.fixture
def axes_on_own_redis(own_redis: Any) -> Iterator[Any]:
    """Axes on, counting in the test's own Redis (the fixture's CACHES, already in force).

    Setting AXES_HANDLER again makes Axes build its handler anew (axes.signals), so one built
    by an earlier test on another cache is not reused."""
    with override_settings(AXES_ENABLED=True, AXES_HANDLER=settings.AXES_HANDLER):
        yield own_redis
    own_redis.send_signal(signal.SIGCONT)  # let the fixture stop it


def sign_in(path: str, username: str, password: str, client: Client | None = None) -> HttpResponse:
    client = client or Client(raise_request_exception=False)
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=GUESSER)


def assert_lockout_off_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "project.lockout"]
    assert warnings, [r.getMessage() for r in caplog.records]
    assert "sign-in lockout is off" in warnings[0].getMessage()


@OUTAGES
@PAGES
def test_sign_in_works_while_the_cache_is_unreachable(
    path: str, staff: bool, outage: Callable[[Any], None], axes_on_own_redis: Any, caplog: Any
) -> None:
    UserFactory(username="alice", is_staff=staff)
    outage(axes_on_own_redis)

    # A wrong password is the form again, never a 500 ...
    assert sign_in(path, "alice", "wrong").status_code == 200
    # ... and the right one signs in.
    browser = Client(raise_request_exception=False)
    response = sign_in(path, "alice", "pw", browser)
    assert response.status_code == 302, response.status_code
    assert "_auth_user_id" in browser.session
    assert_lockout_off_is_logged(caplog)


def test_the_lockout_is_back_with_the_cache(axes_on_own_redis: Any) -> None:
    """Off only while the cache is unreachable: failures count again once it answers."""
    UserFactory(username="alice")
    pause(axes_on_own_redis)
    assert sign_in("/accounts/login/", "alice", "wrong").status_code == 200

    axes_on_own_redis.send_signal(signal.SIGCONT)

    statuses = [sign_in("/accounts/login/", "alice", "wrong").status_code for _ in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    assert sign_in("/accounts/login/", "alice", "pw").status_code == 429  # locked out, as before


@pytest.fixture
def password_app(org: Any) -> Application:
    return ApplicationFactory(
        organization=org, client_id="password-app", authorization_grant_type=Application.GRANT_PASSWORD
    )


def password_grant(oauth: OAuthClient, password: str) -> HttpResponse:
    data = {
        "grant_type": "password",
        "username": "member",
        "password": password,
        "scope": "view:user",
        "client_id": "password-app",
        "client_secret": SECRET,
    }
    client = Client(HTTP_HOST=oauth.host, raise_request_exception=False)
    return client.post("/oauth/token", data, REMOTE_ADDR=GUESSER)


@OUTAGES
def test_the_password_grant_works_while_the_cache_is_unreachable(
    outage: Callable[[Any], None],
    oauth: OAuthClient,
    member: Any,
    password_app: Application,
    axes_on_own_redis: Any,
    caplog: Any,
) -> None:
    outage(axes_on_own_redis)

    refused = password_grant(oauth, "wrong")
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"] == "invalid_grant"
    issued = password_grant(oauth, "pw")
    assert issued.status_code == 200, issued.content
    assert oauth.api(issued.json()["access_token"]).status_code == 200
    assert_lockout_off_is_logged(caplog)
