"""Initial access tokens in the admin (issue 23, part 2): an organization administrator issues
one for their organization only, sees its value once after saving, lists it with its uses left
and expiry, and deletes it; the token then registers a client at that organization's host."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from perscom_oauth.audit import Event
from perscom_oauth.hashing import checksum
from perscom_oauth.models import InitialAccessToken, RegistrationPolicy
from perscom_oauth.registration import initial_tokens
from tests.admin_support import admin_client, events, org_admin, text
from tests.oauth import OAuthClient, host_of

pytestmark = pytest.mark.django_db

ADD = "/admin/perscom_oauth/initialaccesstoken/add/"
LIST = "/admin/perscom_oauth/initialaccesstoken/"


def issue_in_admin(client: Any, organization: Any, **fields: Any) -> Any:
    data = {
        "organization": organization.pk,
        "label": "MCP agent",
        "lifetime": 3600,
        "uses_left": "1",
        **fields,
    }
    return client.post(ADD, data, follow=True)


def shown_value(response: Any) -> str:
    found = re.search(r'id="initial-token-text"[^>]*>([^<]+)<', response.content.decode())
    assert found, response.content.decode()[:2000]
    return found[1]


def test_an_organization_admin_issues_a_token_shown_once(org: Any, other_org: Any) -> None:
    manager = org_admin(org, "alpha-admin")
    client = admin_client(manager)
    form = client.get(ADD)
    assert form.status_code == 200
    assert other_org.name not in text(form)  # only the organizations they administer
    shown = issue_in_admin(client, org)
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    value = shown_value(shown)
    token = InitialAccessToken.objects.get()
    assert token.token_checksum == checksum(value) and token.uses_left == 1
    assert token.created_by == manager and token.organization == org
    assert value not in json.dumps(list(InitialAccessToken.objects.values()), default=str)
    (event,) = events(Event.INITIAL_TOKEN_ISSUED)
    assert event.actor == manager and event.details["label"] == "MCP agent"
    # Never again: a reload lands on the list, without the value.
    again = client.get(f"{LIST}{token.pk}/issued/", follow=True)
    assert value not in again.content.decode()
    listed = client.get(LIST)
    assert "MCP agent" in text(listed) and value not in listed.content.decode()

    # The value registers a client at the organization's host, once.
    RegistrationPolicy.objects.create(organization=org, dynamic_registration="initial_token")
    oauth = OAuthClient(host_of(org))
    metadata = json.dumps(
        {"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "none"}
    )
    for status in (201, 401):
        response = oauth.client().post(
            "/oauth/register", metadata, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {value}"
        )
        assert response.status_code == status


def test_another_organization_cannot_be_chosen_or_seen(org: Any, other_org: Any) -> None:
    client = admin_client(org_admin(org, "alpha-admin"))
    refused = issue_in_admin(client, other_org)
    assert not InitialAccessToken.objects.exists()
    assert "Select a valid choice" in text(refused)
    initial_tokens.issue(other_org, label="bravo only", lifetime=3600)
    assert "bravo only" not in text(client.get(LIST))
    bravo_token = InitialAccessToken.objects.get()
    assert client.get(f"{LIST}{bravo_token.pk}/change/").status_code in (302, 404)
    assert client.post(f"{LIST}{bravo_token.pk}/delete/", {"post": "yes"}).status_code in (302, 403, 404)
    assert InitialAccessToken.objects.filter(pk=bravo_token.pk).exists()


def test_tokens_are_listed_with_uses_and_expiry_and_deleted(org: Any) -> None:
    client = admin_client(org_admin(org, "alpha-admin"))
    initial_tokens.issue(org, label="unlimited", lifetime=3600)
    token = InitialAccessToken.objects.get()
    listed = text(client.get(LIST))
    assert "unlimited" in listed and "any number" in listed
    # Not editable: the change page shows it read-only.
    page = client.get(f"{LIST}{token.pk}/change/")
    assert page.status_code == 200 and 'name="label"' not in page.content.decode()
    deleted = client.post(f"{LIST}{token.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not InitialAccessToken.objects.exists()


def test_a_lifetime_and_uses_are_required_to_be_sane(org: Any) -> None:
    client = admin_client(org_admin(org, "alpha-admin"))
    for fields in ({"uses_left": "0"}, {"lifetime": "12"}, {"label": ""}):
        issue_in_admin(client, org, **fields)
    assert not InitialAccessToken.objects.exists()


def test_issue_for_seed_demo(org: Any) -> None:
    value = initial_tokens.issue(org, label="demo", lifetime=3600, uses=None, created_by=None)
    token = InitialAccessToken.objects.get()
    assert token.token_checksum == checksum(value) and token.created_by is None
    assert events(Event.INITIAL_TOKEN_ISSUED)[0].actor_type == "system"
    with pytest.raises(ValueError):
        initial_tokens.issue(org, label="never", lifetime=0)
