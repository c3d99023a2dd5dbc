"""Every lookup on a request's path is served by an index, so a million tokens cost what a
thousand do (bench/generate_tokens.py fills a database to check it by hand).

The planner is told to avoid sequential scans (PostgreSQL) and asked for its plan: a lookup
that no index can serve still shows a sequential scan, whatever the table's size.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from perscom_oauth.hashing import checksum
from perscom_oauth.models import Application, AuthorizationCodeUse, Domain, Membership

pytestmark = pytest.mark.django_db


def plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def lookups(org: Any, member: Any) -> dict[str, Any]:
    value = checksum("x")
    return {
        "access token by checksum": get_access_token_model().objects.filter(
            token_checksum=value, application__organization=org
        ),
        "refresh token by checksum": get_refresh_token_model().objects.filter(token_checksum=value),
        "refresh token family": get_refresh_token_model().objects.filter(token_family=None),
        "code by checksum": get_grant_model().objects.filter(code="x"),
        "code use by checksum": AuthorizationCodeUse.objects.filter(code_checksum=value),
        "client by client_id": Application.objects.filter(client_id="alpha-web"),
        "host": Domain.objects.filter(hostname="alpha.example.test"),
        "membership": Membership.objects.filter(user=member, organization=org),
    }


@pytest.mark.parametrize(
    "name",
    [
        "access token by checksum",
        "refresh token by checksum",
        "refresh token family",
        "code by checksum",
        "code use by checksum",
        "client by client_id",
        "host",
        "membership",
    ],
)
def test_lookup_uses_an_index(org: Any, member: Any, name: str) -> None:
    found = plan(lookups(org, member)[name])
    if connection.vendor == "postgresql":
        assert "Seq Scan" not in found, found
        assert "Index" in found, found
    else:
        assert "USING INDEX" in found or "USING COVERING INDEX" in found or "PRIMARY KEY" in found, found
