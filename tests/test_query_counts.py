"""Hot paths have pinned query counts: a bearer-token API request and every token flow."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perscom_oauth.models import Application, Organization, RegistrationPolicy
from tests.device import approve as device_approve
from tests.device import codes as device_codes
from tests.device import device_app, forget_poll
from tests.device import poll as device_poll_once
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db


def test_api_request_with_a_bearer_token(
    oauth: OAuthClient, member: Any, app: Application, django_assert_num_queries: Any
) -> None:
    token = oauth.code_flow(member, app, scope="view:user").json()["access_token"]
    # A cold token: the token with its application and user, then the membership with every
    # permission held there in one query (the host is cached already). Then it is hot: one
    # cache round trip and no SQL (tests/test_token_cache.py). Vanilla DOT makes 1 each time.
    with django_assert_num_queries(2):
        assert oauth.api(token).status_code == 200
    with django_assert_num_queries(0):
        assert oauth.api(token).status_code == 200


def test_list_endpoint_does_not_grow_with_rows(oauth: OAuthClient, member: Any, app: Application) -> None:
    token = oauth.code_flow(member, app, scope="view:rank create:rank").json()["access_token"]
    counts = []
    for _ in range(2):
        for n in range(5):
            oauth.client().post("/api/ranks/", {"name": f"r{n}"}, HTTP_AUTHORIZATION=f"Bearer {token}")
        with CaptureQueriesContext(connection) as queries:
            assert oauth.api(token, "/api/ranks/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the token endpoint, per flow ------------------------------------------------------------
# Counted as in production: outside a test transaction, SQL statements that do work (BEGIN,
# COMMIT and savepoints left out). Vanilla django-oauth-toolkit, for comparison (bench/):
# client_credentials 5, code exchange 15, refresh 18, revoke 10.

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def statements(call: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, [
        q["sql"] for q in queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)
    ]


@pytest.fixture
def flows(org: Organization, member: Any, app: Application, oauth: OAuthClient) -> SimpleNamespace:
    machine = ApplicationFactory(
        organization=org, client_id="m2m", authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )
    for client in (app, machine):  # last_used is kept to the minute: not written per request
        client.last_used = timezone.now()
        client.save()
    oauth.client().get("/.well-known/oauth-authorization-server")  # the host is cached
    return SimpleNamespace(machine=machine)


@pytest.mark.django_db(transaction=True)
def test_client_credentials_statements(oauth: OAuthClient, flows: SimpleNamespace) -> None:
    # The client; the access token; the audit event.
    response, sql = statements(
        lambda: oauth.client().post(
            "/oauth/token",
            {"grant_type": "client_credentials", "scope": "view:user"},
            HTTP_AUTHORIZATION=basic_auth("m2m"),
        )
    )
    assert response.status_code == 200
    assert len(sql) <= 3, sql


@pytest.mark.django_db(transaction=True)
def test_code_exchange_statements(
    oauth: OAuthClient, member: Any, app: Application, flows: SimpleNamespace
) -> None:
    # The code with its user and their membership (read once), the client, the base library's
    # own read of the code (RFC 8707 resources), the two tokens, the code spent and its replay
    # record, the audit event: one transaction.
    code = oauth.authorize(member, app)["code"]
    response, sql = statements(lambda: oauth.exchange(app, code))
    assert response.status_code == 200
    assert len(sql) <= 8, sql


@pytest.mark.django_db(transaction=True)
def test_refresh_statements(
    oauth: OAuthClient, member: Any, app: Application, flows: SimpleNamespace
) -> None:
    # The client; the live refresh token with its user, access token, family start (absolute
    # lifetime) and membership; the token retired (the UPDATE is the lock) and its access token
    # deleted; the new pair; the audit event. The base library's rotation alone took 13.
    token = oauth.code_flow(member, app).json()
    response, sql = statements(lambda: oauth.refresh(app, token["refresh_token"]))
    assert response.status_code == 200
    assert len(sql) <= 7, sql


@pytest.mark.django_db(transaction=True)
def test_revoke_statements(oauth: OAuthClient, member: Any, app: Application, flows: SimpleNamespace) -> None:
    # The client; the organization's generation moved (generations.py: one upsert); the family
    # locked; the access tokens of its live members deleted, read in a fresh snapshot (a pair
    # minted meanwhile is included); the members revoked; the audit event.
    token = oauth.code_flow(member, app).json()
    response, sql = statements(
        lambda: oauth.client().post(
            "/oauth/revoke", {"token": token["access_token"]}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
        )
    )
    assert response.status_code == 200
    assert len(sql) <= 6, sql


# --- the device flow's poll (RFC 8628 §3.5) --------------------------------------------------


@pytest.fixture
def device_poll(org: Organization, oauth: OAuthClient) -> SimpleNamespace:
    tv = device_app(org, last_used=timezone.now())  # last_used is kept to the minute
    started = device_codes(oauth, tv.client_id)
    oauth.client().get("/.well-known/oauth-authorization-server")  # the host is cached
    return SimpleNamespace(tv=tv, device_code=started["device_code"], user_code=started["user_code"])


@pytest.mark.django_db(transaction=True)
def test_device_poll_statements(oauth: OAuthClient, device_poll: SimpleNamespace) -> None:
    # authorization_pending: one statement, the grant by its unique device_code, with its
    # client's type (a subquery on this organization's enabled applications).
    forget_poll(oauth, device_poll.device_code)
    response, sql = statements(
        lambda: device_poll_once(oauth, device_poll.tv.client_id, device_poll.device_code, wait=False)
    )
    assert response.json()["error"] == "authorization_pending"
    assert len(sql) == 1, sql
    assert "device_code" in sql[0]
    # slow_down: the poll gate in the cache answers; no SQL at all, however many come.
    for _ in range(20):
        response, sql = statements(
            lambda: device_poll_once(oauth, device_poll.tv.client_id, device_poll.device_code, wait=False)
        )
        assert response.json()["error"] == "slow_down"
        assert sql == []


@pytest.mark.django_db(transaction=True)
def test_device_token_statements(oauth: OAuthClient, member: Any, device_poll: SimpleNamespace) -> None:
    # The poll's state; the grant with its user, at this organization (tokens.device's
    # pre-token hook); the client; the state again, once the client is authenticated (the
    # validator's check of record); the grant spent (DELETE); the user's membership and
    # permissions; the two tokens; the audit event.
    device_approve(oauth, member, device_poll.user_code, ["view:user"])
    forget_poll(oauth, device_poll.device_code)
    response, sql = statements(
        lambda: device_poll_once(oauth, device_poll.tv.client_id, device_poll.device_code, wait=False)
    )
    assert response.status_code == 200, response.content
    assert len(sql) <= 10, sql


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
)
def test_discovery_statements(
    oauth: OAuthClient, org: Organization, path: str, django_assert_num_queries: Any
) -> None:
    # The host is cached; the organization's registration policy decides registration_endpoint
    # and client_id_metadata_document_supported (RFC 7591, issue 23): one primary-key read.
    oauth.client().get(path)
    with django_assert_num_queries(1):
        assert oauth.client().get(path).status_code == 200


def test_registration_statements(
    oauth: OAuthClient, org: Organization, django_assert_max_num_queries: Any
) -> None:
    # RFC 7591 registration, open policy, host cached: the policy; full_clean's organization,
    # client_id constraint and uniqueness; the application, which moves the organization's
    # cache generation and reads its host names (cache.invalidation); its registration access
    # token; the audit event. 10 statements and 3 savepoints: not a hot path, but bounded.
    RegistrationPolicy.objects.create(organization=org, dynamic_registration="open")
    oauth.client().get("/.well-known/oauth-authorization-server")
    metadata = {"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "none"}
    with django_assert_max_num_queries(13):
        response = oauth.client().post("/oauth/register", metadata, content_type="application/json")
    assert response.status_code == 201
