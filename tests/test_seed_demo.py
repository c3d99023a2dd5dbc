"""`seed_demo`: idempotent, a stable JSON contract, and credentials that work."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from perscom_oauth.models import Application, InitialAccessToken
from tests.demo import seed_demo
from tests.device import approve as device_approve
from tests.device import codes as device_codes
from tests.device import poll as device_poll
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db
CALLBACK = "http://127.0.0.1:8765/callback"
SWAGGER_CALLBACKS = [
    "http://localhost:8000/api/oauth2-redirect.html",
    "http://127.0.0.1:8000/api/oauth2-redirect.html",
]


def seed() -> dict[str, Any]:
    return seed_demo()


def test_json_matches_the_contract() -> None:
    data = seed()

    assert set(data) == {"organizations", "users", "applications", "registration"}
    registration = data["registration"]
    assert set(registration) == {"organization", "registration_endpoint", "initial_access_token"}
    assert registration["registration_endpoint"] == "http://localhost:8000/oauth/register"
    assert data["organizations"] == [
        {"slug": "demo", "name": "Demo Unit", "plan": "enterprise", "base_url": "http://localhost:8000"},
        {"slug": "basic", "name": "Basic Unit", "plan": "basic", "base_url": "http://basic.localhost:8000"},
    ]
    assert [(u["username"], u["organization"]) for u in data["users"]] == [
        ("alice", "demo"),
        ("bob", "demo"),
        ("carol", "basic"),
    ]
    assert all(set(u) == {"username", "password", "organization"} for u in data["users"])
    keys = {
        "name",
        "organization",
        "client_id",
        "client_secret",
        "client_type",
        "grant_type",
        "redirect_uris",
        "allowed_scopes",
    }
    assert [a["client_id"] for a in data["applications"]] == [
        "demo-web",
        "demo-spa",
        "basic-web",
        "demo-swagger",
        "demo-tv",
    ]
    apps = {a["client_id"]: a for a in data["applications"]}
    assert all(set(a) == keys for a in apps.values())
    assert apps["demo-web"]["client_type"] == "confidential" and apps["demo-web"]["client_secret"]
    assert apps["demo-spa"]["client_type"] == "public" and apps["demo-spa"]["client_secret"] is None
    assert apps["basic-web"]["organization"] == "basic"
    tv = apps.pop("demo-tv")  # the device flow (RFC 8628): no browser, no redirect URI
    assert (tv["client_type"], tv["client_secret"], tv["redirect_uris"]) == ("public", None, [])
    assert tv["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    swagger = apps.pop("demo-swagger")
    assert (swagger["name"], swagger["organization"]) == ("Swagger UI", "demo")
    assert swagger["client_type"] == "public" and swagger["client_secret"] is None
    # Swagger UI's default redirect_uri: oauth2-redirect.html beside /api/docs, on both demo hosts.
    assert swagger["redirect_uris"] == SWAGGER_CALLBACKS
    assert swagger["grant_type"] == "authorization_code"
    assert all(
        a["redirect_uris"] == [CALLBACK] and a["grant_type"] == "authorization_code" for a in apps.values()
    )


def test_rerunning_is_idempotent_and_keeps_printed_secrets_valid() -> None:
    first = seed()
    second = seed()
    assert first == second
    assert Application.objects.count() == 5
    secret = first["applications"][0]["client_secret"]
    assert Application.objects.get(client_id="demo-web").client_secret != secret  # hashed at rest
    token = first["registration"]["initial_access_token"]
    stored = InitialAccessToken.objects.get(organization__slug="demo")  # one row, not one a run
    assert stored.token_checksum != token  # hashed at rest


def test_the_printed_initial_access_token_registers_a_client_after_a_rerun() -> None:
    token = seed()["registration"]["initial_access_token"]
    seed()
    body = {"client_name": "Agent", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    response = Client().post(
        "/oauth/register",
        json.dumps(body),
        content_type="application/json",
        HTTP_HOST="localhost:8000",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    refused = Client().post(
        "/oauth/register",
        json.dumps(body),
        content_type="application/json",
        HTTP_HOST="localhost:8000",
        HTTP_AUTHORIZATION=f"Bearer {token}x",
    )
    assert refused.status_code == 401


def test_printed_credentials_work() -> None:
    data = seed()
    users = {u["username"]: u for u in data["users"]}
    apps = {a["client_id"]: a for a in data["applications"]}
    for user in users.values():
        assert Client().login(username=user["username"], password=user["password"])

    from django.contrib.auth import get_user_model

    alice = get_user_model().objects.get(username="alice")
    demo = OAuthClient("localhost:8000")
    web = Application.objects.get(client_id="demo-web")
    code, verifier = demo.pkce_code(alice, web)
    secret = apps["demo-web"]["client_secret"]
    response = demo.exchange(web, code, redirect_uri=CALLBACK, client_secret=secret, code_verifier=verifier)
    assert response.status_code == 200, response.content
    assert demo.api(response.json()["access_token"]).json()["user"]["username"] == "alice"

    spa = Application.objects.get(client_id="demo-spa")
    code, verifier = OAuthClient("127.0.0.1").pkce_code(alice, spa)
    response = demo.exchange(spa, code, redirect_uri=CALLBACK, client_secret=None, code_verifier=verifier)
    assert response.status_code == 200, response.content

    swagger = Application.objects.get(client_id="demo-swagger")
    redirect_uri = SWAGGER_CALLBACKS[0]
    code, verifier = demo.pkce_code(alice, swagger, redirect_uri=redirect_uri)
    response = demo.exchange(
        swagger, code, redirect_uri=redirect_uri, client_secret=None, code_verifier=verifier
    )
    assert response.status_code == 200, response.content

    # The device flow (RFC 8628): the TV asks for codes, alice approves, the TV gets its token.
    started = device_codes(demo, "demo-tv")
    device_approve(demo, alice, started["user_code"], ["view:user"])
    token = device_poll(demo, "demo-tv", started["device_code"])
    assert token.status_code == 200, token.content

    response = OAuthClient("basic.localhost").token(
        grant_type="client_credentials",
        client_id="basic-web",
        client_secret=apps["basic-web"]["client_secret"],
    )
    assert response.json()["error"] == "unauthorized_client"
    assert "requires the Enterprise plan" in response.json()["error_description"]


def test_human_output_lists_the_credentials() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "demo-web" in text and "alice" in text and "http://localhost:8000" in text
