"""RFC 9728 protected-resource metadata, per organization, and the ``resource_metadata`` of every
challenge (issue 22, item 2): the documents advertise exactly what works."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from perscom_oauth.models import Application, Organization
from perscom_oauth.scopes.registry import registry
from tests.oauth import OAuthClient, host_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

WELL_KNOWN = "/.well-known/oauth-protected-resource"
BASE = "http://alpha.example.test"


def document(host: str, path: str = WELL_KNOWN) -> Any:
    response = OAuthClient(host).client().get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"  # read by clients in a browser too
    return response.json()


def test_the_host_is_a_resource_named_with_its_authorization_server(org: Organization) -> None:
    # RFC 9728 §2, §3.2; `resource` is the URL the document was fetched from, minus the
    # well-known suffix (§3.3); the name and documentation are the demo's settings.
    assert document(host_of(org)) == {
        "resource": BASE,
        "authorization_servers": [BASE],
        "scopes_supported": sorted(registry()),
        "bearer_methods_supported": ["header"],
        "resource_name": "PERSCOM demo API",
        "resource_documentation": f"{BASE}/api/docs",
    }


def test_a_configured_path_is_a_resource_of_its_own(org: Organization) -> None:
    # §3.1: /.well-known/oauth-protected-resource/api describes the resource BASE/api.
    assert document(host_of(org), f"{WELL_KNOWN}/api")["resource"] == f"{BASE}/api"
    assert document(host_of(org), f"{WELL_KNOWN}/api/")["resource"] == f"{BASE}/api"


@pytest.mark.parametrize("path", ["/other", "/api/users", "/ap", "/%2e%2e/api"])
def test_no_document_is_made_up_for_another_path(org: Organization, path: str) -> None:
    response = OAuthClient(host_of(org)).client().get(WELL_KNOWN + path)
    assert response.status_code == 404
    assert response.json()["error"] == "invalid_request"


def test_each_organization_describes_its_own_resource(org: Organization, other_org: Organization) -> None:
    other = f"http://{host_of(other_org)}"
    assert document(host_of(other_org))["resource"] == other
    assert document(host_of(other_org))["authorization_servers"] == [other]


def test_the_authorization_server_named_is_the_organizations_issuer(org: Organization) -> None:
    # §7.6: a client checks the authorization server's own metadata; its issuer must match.
    (issuer,) = document(host_of(org))["authorization_servers"]
    metadata = OAuthClient(host_of(org)).client().get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == issuer
    assert set(metadata["scopes_supported"]) == set(document(host_of(org))["scopes_supported"])


@pytest.mark.parametrize(
    ("path", "metadata"),
    [("/api/ranks/", f"{BASE}{WELL_KNOWN}/api"), ("/plain/ranks", f"{BASE}{WELL_KNOWN}")],
)
def test_every_challenge_points_at_the_resource_it_was_for(
    oauth: OAuthClient, path: str, metadata: str
) -> None:
    # §5.1, with a bad token (401 invalid_token); the bare challenge is in test_challenges.py.
    challenge = oauth.api("not-a-token", path)["WWW-Authenticate"]
    assert challenge.endswith(f',resource_metadata="{metadata}"'), challenge
    # ... and the document there describes a resource the request's URL lies in (§3.3).
    described = document(oauth.host, metadata.removeprefix(BASE))["resource"]
    assert f"{BASE}{path}".startswith(described + "/")


def test_an_insufficient_scope_challenge_points_there_too(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    token = oauth.code_flow(member, app, scope="view:user").json()["access_token"]
    response = oauth.api(token, "/api/ranks/")
    assert response.status_code == 403
    assert f'resource_metadata="{BASE}{WELL_KNOWN}/api"' in response["WWW-Authenticate"]


def test_a_token_for_the_advertised_resource_works_there_and_nowhere_else(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    # What a client does with the document: RFC 8707 `resource` = the advertised identifier.
    resource = document(oauth.host, f"{WELL_KNOWN}/api")["resource"]
    token = oauth.code_flow(member, app, scope="view:rank", resource=resource).json()["access_token"]
    assert oauth.api(token, "/api/ranks/").status_code == 200
    outside = oauth.api(token, "/plain/ranks")
    assert outside.status_code == 401
    assert 'error="invalid_token"' in outside["WWW-Authenticate"]


def test_a_token_for_the_host_works_on_every_path(oauth: OAuthClient, member: Any, app: Application) -> None:
    resource = document(oauth.host)["resource"]
    token = oauth.code_flow(member, app, scope="view:rank", resource=resource).json()["access_token"]
    assert oauth.api(token, "/api/ranks/").status_code == 200
    assert oauth.api(token, "/plain/ranks").status_code == 200


@pytest.mark.parametrize(
    ("transport", "status"),
    [("header", 200), ("query", 401), ("body", 401)],
)
def test_only_the_advertised_bearer_method_is_accepted(
    oauth: OAuthClient, member: Any, app: Application, transport: str, status: int
) -> None:
    # §2 bearer_methods_supported ["header"]: RFC 6750 §2.1 only (RFC 9700 §4.3.2).
    assert document(oauth.host)["bearer_methods_supported"] == ["header"]
    token = oauth.code_flow(member, app, scope="view:rank").json()["access_token"]
    client = oauth.client()
    if transport == "header":
        response = client.get("/plain/ranks", HTTP_AUTHORIZATION=f"Bearer {token}")
    elif transport == "query":
        response = client.get("/plain/ranks", {"access_token": token})
    else:
        response = client.post("/plain/ranks", {"access_token": token})
    assert response.status_code == status


def test_without_resource_paths_the_host_is_the_only_resource(oauth: OAuthClient, settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "RESOURCE_PATHS": []}
    assert oauth.client().get(f"{WELL_KNOWN}/api").status_code == 404
    challenge = oauth.api("not-a-token", "/api/ranks/")["WWW-Authenticate"]
    assert challenge.endswith(f',resource_metadata="{BASE}{WELL_KNOWN}"')


def test_a_resource_paths_that_is_no_list_is_a_system_check_error(settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "RESOURCE_PATHS": "/api"}
    with pytest.raises(SystemCheckError, match=r"perscom_oauth\.E029"):
        call_command("check", "--tag", "perscom_oauth")
