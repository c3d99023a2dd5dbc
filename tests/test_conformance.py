"""Two independent relying parties against a live server, at both of its loopback names:
openid-client (Node, certified by the OpenID Foundation; tests/conformance/rp.mjs) and Authlib
(Python). Each check is the library's own: discovery, code + PKCE + nonce, the ID token's
signature and claims (iss, aud, exp, iat, nonce, at_hash, auth_time against max_age), userinfo,
refresh, introspection and revocation through openid-configuration (RFC 7662, RFC 7009;
openid-client), prompt=none (both outcomes), max_age, prompt=login, prompt=consent, the implicit
id_token and RP-initiated logout. A failed check fails the test with the library's message.
tests/test_conformance_oauth4webapi.py adds a third client, for the OAuth 2.0 side.

Skipped with a message where Node.js or the npm packages are missing, never in CI
(``CI=true``: `.ci/npm.sh` installs them)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from django.utils import timezone

from perscom_oauth.models import Application
from tests.conformance_support import (
    LOOPBACK_NAMES,
    UserAgent,
    live_organization,
    node_or_skip,
    passed,
    run_step,
)
from tests.factories import REDIRECT_URI, SECRET, ApplicationFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SCOPE = "openid profile email view:user"
BYE = "http://127.0.0.1:8765/bye"


@dataclass
class Site:
    issuer: str
    app: Application
    implicit: Application

    def step(self, op: str, app: Application | None = None, **values: Any) -> dict[str, Any]:
        """One step of openid-client (tests/conformance/rp.mjs); its failed check fails the test."""
        app = app or self.app
        command = {"op": op, "issuer": self.issuer, "client_id": app.client_id, "secret": SECRET, **values}
        return run_step("rp.mjs", "openid-client", command)


@pytest.fixture(params=LOOPBACK_NAMES)
def site(request: Any, live_server: Any) -> Iterator[Site]:
    """The live server at one of its names; one organization answers at both."""
    node_or_skip("openid-client")
    org, app = live_organization(post_logout_redirect_uris=BYE)
    implicit = ApplicationFactory(
        organization=org,
        client_id="rp-implicit",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
    )
    port = urlparse(live_server.url).port
    yield Site(f"http://{request.param}:{port}", app, implicit)


def sign_in(site: Site, agent: UserAgent, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Code + PKCE + nonce through openid-client; (its authorization request, its result)."""
    request = passed(site.step("authorize", redirect_uri=REDIRECT_URI, scope=SCOPE, extra=extra))
    callback = agent.visit(request["url"])
    max_age = int(extra["max_age"]) if "max_age" in extra else None
    result = site.step("callback", callback_url=callback, max_age=max_age, **request)
    return request, result


# --- openid-client -----------------------------------------------------------------------------


def test_discovery_and_code_flow_with_every_id_token_check(site: Site) -> None:
    metadata = passed(site.step("discover"))["metadata"]
    assert metadata["issuer"] == site.issuer
    with UserAgent() as agent:
        _request, result = sign_in(site, agent)
    claims = passed(result)["claims"]
    assert (claims["iss"], claims["aud"], claims["preferred_username"]) == (site.issuer, "rp", "pilot")
    assert {"exp", "iat", "nonce", "at_hash", "auth_time", "sub"} <= set(claims)
    userinfo = passed(site.step("userinfo", access_token=result["tokens"]["access_token"], sub=claims["sub"]))
    assert userinfo["userinfo"]["email"] == "pat@example.test"
    refreshed = passed(site.step("refresh", refresh_token=result["tokens"]["refresh_token"]))
    assert refreshed["tokens"]["access_token"] != result["tokens"]["access_token"]


def test_introspection_and_revocation(site: Site) -> None:
    # RFC 7662 and RFC 7009 at the endpoints openid-configuration names. The client introspects
    # its own tokens: any authenticated client of the organization may (docs/endpoints.md).
    with UserAgent() as agent:
        _request, first = sign_in(site, agent)
        _request, second = sign_in(site, agent)  # consent remembered: a second pair
    subject = passed(first)["claims"]["sub"]
    access = {"token": first["tokens"]["access_token"], "hint": "access_token"}
    active = passed(site.step("introspect", **access))["introspection"]
    assert active["active"] is True
    assert (active["client_id"], active["iss"], active["sub"]) == ("rp", site.issuer, subject)
    assert sorted(active["scope"].split()) == sorted(SCOPE.split())
    assert passed(site.step("revoke", **access))["revoked"] is True
    assert passed(site.step("introspect", **access))["introspection"] == {"active": False}
    # Revoking a refresh token ends it and its access token (RFC 7009 §2.1, "its pair").
    refresh = passed(second)["tokens"]["refresh_token"]
    passed(site.step("revoke", token=refresh, hint="refresh_token"))
    refused = site.step("refresh", refresh_token=refresh)
    assert refused.get("code") == "invalid_grant", refused
    paired = {"token": second["tokens"]["access_token"], "hint": "access_token"}
    assert passed(site.step("introspect", **paired))["introspection"] == {"active": False}


def test_prompt_none_both_outcomes(site: Site) -> None:
    with UserAgent() as agent:
        request = passed(
            site.step("authorize", redirect_uri=REDIRECT_URI, scope=SCOPE, extra={"prompt": "none"})
        )
        refused = site.step("callback", callback_url=agent.visit(request["url"]), **request)
        assert refused.get("code") == "login_required", refused  # signed out (§3.1.2.6)
        sign_in(site, agent)  # signs in and consents
        _request, silent = sign_in(site, agent, prompt="none")  # no page shown: visit() would fail
        assert passed(silent)["claims"]["preferred_username"] == "pilot"


def test_max_age_and_prompt_login_make_the_user_sign_in_again(site: Site) -> None:
    with UserAgent() as agent:
        _request, first = sign_in(site, agent)
        first_sign_in = passed(first)["claims"]["auth_time"]
        time.sleep(1.1)
        _request, again = sign_in(site, agent, max_age="1")  # openid-client checks auth_time
        assert passed(again)["claims"]["auth_time"] > first_sign_in
        time.sleep(1.1)
        _request, login = sign_in(site, agent, prompt="login")
        assert passed(login)["claims"]["auth_time"] > passed(again)["claims"]["auth_time"]


def test_prompt_consent_shows_the_screen_again(site: Site) -> None:
    with UserAgent() as agent:
        sign_in(site, agent)
        request = passed(
            site.step("authorize", redirect_uri=REDIRECT_URI, scope=SCOPE, extra={"prompt": "consent"})
        )
        page = agent.session.get(request["url"], allow_redirects=False, timeout=10)
        assert page.status_code == 200 and 'name="allow"' in page.text
        callback = agent.submit(page, {"allow": "Authorize"}).headers["Location"]
        passed(site.step("callback", callback_url=callback, **request))


def test_implicit_id_token(site: Site) -> None:
    with UserAgent() as agent:
        request = passed(
            site.step(
                "authorize",
                app=site.implicit,
                redirect_uri=REDIRECT_URI,
                scope="openid profile",
                response_type="id_token",
            )
        )
        callback = agent.visit(request["url"])
        answer = passed(
            site.step(
                "implicit", app=site.implicit, callback_url=callback, response_type="id_token", **request
            )
        )
    assert answer["claims"]["aud"] == "rp-implicit"


def test_rp_initiated_logout(site: Site) -> None:
    with UserAgent() as agent:
        _request, result = sign_in(site, agent)
        url = passed(
            site.step("logout", id_token=result["tokens"]["id_token"], post_logout_redirect_uri=BYE)
        )["url"]
        page = agent.session.get(url, timeout=10)
        assert page.status_code == 200
        done = agent.submit(page, {"allow": "Yes"})
        assert done.status_code == 302 and done.headers["Location"].startswith(BYE)
        assert parse_qs(urlparse(done.headers["Location"]).query)["state"] == ["bye"]
        assert agent.session.get(f"{site.issuer}/api/me", timeout=10).status_code == 401


# --- Authlib -----------------------------------------------------------------------------------


def test_authlib_relying_party(site: Site) -> None:
    config = requests.get(f"{site.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert config["issuer"] == site.issuer
    jwks = JsonWebKey.import_key_set(requests.get(config["jwks_uri"], timeout=10).json())
    session = OAuth2Session(
        "rp", SECRET, scope=SCOPE, redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    )
    with UserAgent() as agent, session:

        def code_flow(**extra: str) -> dict[str, Any]:
            verifier = os.urandom(32).hex()
            url, _state = session.create_authorization_url(
                config["authorization_endpoint"], nonce="n-authlib", code_verifier=verifier, **extra
            )
            callback = agent.visit(url)
            return dict(
                session.fetch_token(
                    config["token_endpoint"], authorization_response=callback, code_verifier=verifier
                )
            )

        token = code_flow()
        claims = jwt.decode(
            token["id_token"],
            jwks,
            claims_options={
                "iss": {"essential": True, "value": site.issuer},
                "aud": {"essential": True, "value": "rp"},
                "nonce": {"essential": True, "value": "n-authlib"},
                "exp": {"essential": True},
                "auth_time": {"essential": True},
            },
        )
        claims.validate(now=int(timezone.now().timestamp()))
        userinfo = session.get(config["userinfo_endpoint"], timeout=10).json()
        assert userinfo["sub"] == claims["sub"]
        silent = code_flow(prompt="none")
        assert silent["id_token"]
        refreshed = session.refresh_token(config["token_endpoint"], refresh_token=token["refresh_token"])
        assert refreshed["access_token"] != token["access_token"]
        with UserAgent() as stranger:  # signed out: the error comes back to the client
            url, _state = session.create_authorization_url(
                config["authorization_endpoint"],
                prompt="none",
                nonce="n-2",
                code_verifier=os.urandom(32).hex(),
            )
            callback = stranger.visit(url)
        assert parse_qs(urlparse(callback).query)["error"] == ["login_required"], callback
