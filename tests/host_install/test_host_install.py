"""perscom-oauth in a bare ``startproject`` project configured with only the README's lines.

The fixtures (org, other_org, member, app, oauth) are tests/conftest.py's.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command

from tests.oauth import OAuthClient, host_of


@pytest.fixture
def access_token(oauth: OAuthClient, member: Any, app: Any) -> str:
    response = oauth.code_flow(member, app)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_system_checks_pass(db: Any) -> None:
    call_command("check", fail_level="WARNING")
    assert [message for message in checks.run_checks() if message.id.startswith("perscom_oauth.")] == []


def test_code_flow_token_works_at_the_api(oauth: OAuthClient, member: Any, access_token: str) -> None:
    response = oauth.api(access_token)
    assert response.status_code == 200, response.content
    assert response.json() == {"username": member.username}


def test_token_is_refused_on_another_organizations_host(other_org: Any, access_token: str) -> None:
    response = OAuthClient(host_of(other_org)).api(access_token)
    assert response.status_code == 401
    assert "invalid_token" in response["WWW-Authenticate"]
