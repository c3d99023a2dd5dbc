"""Hot paths have pinned query counts: a bearer-token API request and a token exchange."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perscom_oauth.models import Application
from tests.factories import SECRET
from tests.oauth import OAuthClient

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


def test_refresh_token_exchange(
    oauth: OAuthClient, member: Any, app: Application, django_assert_max_num_queries: Any
) -> None:
    token = oauth.code_flow(member, app).json()
    # django-oauth-toolkit's refresh path (18: rotation, savepoints) plus ours: organization,
    # membership, the lock on the refresh token, start of the token family (absolute
    # lifetime), last_used, the audit event, and the savepoint pair of our transaction (a
    # plain BEGIN/COMMIT outside tests).
    with django_assert_max_num_queries(27):
        response = oauth.token(
            grant_type="refresh_token",
            refresh_token=token["refresh_token"],
            client_id=app.client_id,
            client_secret=SECRET,
        )
    assert response.status_code == 200
