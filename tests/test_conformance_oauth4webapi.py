"""A second, independent JavaScript client for the OAuth 2.0 side: oauth4webapi (panva; Node,
tests/conformance/oauth4webapi.mjs) against a live server, at both of its loopback names.
Each check is the library's own: RFC 8414 metadata and its issuer (§3.3), the code flow with
PKCE S256 (RFC 7636) and the RFC 9207 `iss` of the authorization response (success and error),
the token and refresh responses, revocation (RFC 7009) and introspection (RFC 7662), with
client_secret_basic and client_secret_post. A failed check fails the test with its message.

Skipped with a message where Node.js or the npm packages are missing, never in CI
(``CI=true``: `.ci/npm.sh` installs them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conformance_support import (
    LOOPBACK_NAMES,
    UserAgent,
    live_organization,
    node_or_skip,
    passed,
    run_step,
)
from tests.factories import REDIRECT_URI, SECRET

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SCOPE = "view:user view:rank"


@dataclass
class Site:
    issuer: str
    other_issuer: str  # the same organization at the other loopback name

    def step(self, op: str, **values: Any) -> dict[str, Any]:
        """One step of oauth4webapi; its failed check fails the test where ``passed`` says so."""
        command = {"op": op, "issuer": self.issuer, "client_id": "rp", "secret": SECRET, **values}
        return run_step("oauth4webapi.mjs", "oauth4webapi", command)


@pytest.fixture(params=LOOPBACK_NAMES)
def site(request: Any, live_server: Any) -> Iterator[Site]:
    node_or_skip("oauth4webapi")
    live_organization()
    port = urlparse(live_server.url).port
    other = next(name for name in LOOPBACK_NAMES if name != request.param)
    yield Site(f"http://{request.param}:{port}", f"http://{other}:{port}")


def authorize(site: Site, agent: UserAgent, decision: str = "allow") -> dict[str, Any]:
    """The authorization request oauth4webapi builds, with the redirect the user came back by."""
    request = passed(site.step("authorize", redirect_uri=REDIRECT_URI, scope=SCOPE))
    return {**request, "redirect_uri": REDIRECT_URI, "callback_url": agent.visit(request["url"], decision)}


def code_flow(site: Site, agent: UserAgent) -> dict[str, Any]:
    """Code + PKCE S256 + RFC 9207 iss, exchanged at the token endpoint: the token response."""
    tokens: dict[str, Any] = passed(site.step("callback", **authorize(site, agent)))["tokens"]
    return tokens


def test_metadata_is_validated_with_its_issuer(site: Site) -> None:
    # RFC 8414 §3.3: processDiscoveryResponse compares the issuer with the URL asked.
    metadata = passed(site.step("discover"))["metadata"]
    assert metadata["issuer"] == site.issuer
    assert metadata["authorization_response_iss_parameter_supported"] is True  # RFC 9207 §3
    assert "S256" in metadata["code_challenge_methods_supported"]
    # Each loopback name is its own issuer: this document is not the other name's.
    mismatch = site.step("discover", expected_issuer=site.other_issuer)
    assert mismatch.get("code") == "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED", mismatch


def test_code_flow_with_pkce_iss_and_refresh(site: Site) -> None:
    with UserAgent() as agent:
        tokens = code_flow(site, agent)
    # RFC 6749 §5.1 (processAuthorizationCodeResponse checks token_type, expires_in, scope).
    assert tokens["token_type"].lower() == "bearer"
    assert sorted(tokens["scope"].split()) == sorted(SCOPE.split())
    assert tokens["expires_in"] > 0 and tokens["refresh_token"]
    refreshed = passed(site.step("refresh", refresh_token=tokens["refresh_token"]))["tokens"]
    assert refreshed["access_token"] != tokens["access_token"]
    assert refreshed["refresh_token"] != tokens["refresh_token"]  # rotated (RFC 9700 §4.14.2)


def test_denied_consent_comes_back_with_iss(site: Site) -> None:
    # RFC 9207 §2: the error response carries iss too; validateAuthResponse checks it (and
    # state) before it reports the error, so a missing or wrong iss would fail differently.
    with UserAgent() as agent:
        denied = site.step("callback", **authorize(site, agent, decision="cancel"))
    assert denied.get("code") == "access_denied", denied


def test_introspection_and_revocation(site: Site) -> None:
    # The client introspects its own tokens: any authenticated client of the organization may
    # (docs/endpoints.md). Revocation by Basic, then by the form body (RFC 6749 §2.3.1).
    with UserAgent() as agent:
        first = code_flow(site, agent)
        second = code_flow(site, agent)  # consent remembered: a second pair
    access = {"token": first["access_token"], "hint": "access_token"}
    active = passed(site.step("introspect", **access))["introspection"]
    assert active["active"] is True
    assert (active["client_id"], active["iss"], active["username"]) == ("rp", site.issuer, "pilot")
    assert sorted(active["scope"].split()) == sorted(SCOPE.split())
    assert passed(site.step("introspect", auth="post", **access))["introspection"] == active
    assert passed(site.step("revoke", **access))["revoked"] is True
    assert passed(site.step("introspect", **access))["introspection"] == {"active": False}
    # RFC 7009 §2.1: revoking the refresh token ends it and the access token issued with it.
    refresh = second["refresh_token"]
    passed(site.step("revoke", auth="post", token=refresh, hint="refresh_token"))
    refused = site.step("refresh", refresh_token=refresh)
    assert refused.get("code") == "invalid_grant", refused
    paired = {"token": second["access_token"], "hint": "access_token"}
    assert passed(site.step("introspect", **paired))["introspection"] == {"active": False}
    # §2.2: an unknown token is answered 200 as well (processRevocationResponse wants 200).
    passed(site.step("revoke", token="not-a-token"))


@pytest.mark.parametrize(
    "op",
    [
        pytest.param("refresh", id="token"),
        pytest.param("revoke", id="revocation"),
        pytest.param("introspect", id="introspection"),
    ],
)
def test_failed_basic_authentication_is_challenged_with_basic(site: Site, op: str) -> None:
    # RFC 6749 §5.2 (and RFC 7009 §2.2.1, RFC 7662 §2.3 by reference): a client that sent
    # Authorization: Basic with a wrong secret gets 401 with a WWW-Authenticate for that scheme.
    # oauth4webapi reports the challenges it parsed (WWWAuthenticateChallengeError).
    answer = site.step(op, secret="wrong", token="whatever", refresh_token="whatever")
    assert answer.get("status") == 401, answer
    assert [challenge["scheme"] for challenge in answer.get("challenges", [])] == ["basic"], answer


def test_redirect_uri_mismatch_at_the_token_endpoint_is_invalid_grant(site: Site) -> None:
    # RFC 6749 §4.1.3 / §5.2: "...does not match the redirection URI used in the authorization
    # request" is invalid_grant.
    with UserAgent() as agent:
        request = authorize(site, agent)
    answer = site.step("callback", **request, token_redirect_uri="http://127.0.0.1:8765/other")
    assert answer.get("code") == "invalid_grant", answer
