"""Every route of ``perscom_oauth.urls`` is behind the tenant and plan gate (issue 19, point 8).

The routes are walked from the URLconf itself (``include()``s too), so a route the package
adds later fails ``test_every_route_has_a_decision`` until someone writes down, in ``ROUTES``,
how it refuses an unknown host, an organization without the plan and another organization's
client, or why one of those does not apply to it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from perscom_oauth.models import Application, Organization, RegistrationPolicy
from perscom_oauth.registration import initial_tokens
from tests.device import approve, codes, device_app, form_post, poll
from tests.factories import SECRET, ApplicationFactory, MembershipFactory
from tests.oauth import OAuthClient, basic_auth, host_of

pytestmark = pytest.mark.django_db

URLCONF = "perscom_oauth.urls"
NAMESPACE = "oauth2_provider"  # perscom_oauth.urls.app_name
UNKNOWN_HOST = "nobody.example.test"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PLAN_MESSAGE = "OAuth 2.0 requires the Enterprise plan; organization 'Alpha Unit' is on the Basic plan."


def walk(patterns: list[URLPattern | URLResolver], namespace: str = NAMESPACE) -> Iterator[str]:
    """The qualified name of every route, through nested ``include()``s (an unnamed route is
    named by its regex, so it still needs a decision)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, inner)
        else:
            yield f"{namespace}:{pattern.name or pattern.pattern}"


WALKED = sorted(walk(get_resolver(URLCONF).url_patterns))


@dataclass
class World:
    """Organization Alpha (the host under test), and Bravo, another organization, with its own
    clients and a token that ``member`` (a member of both) holds there."""

    alpha: OAuthClient
    bravo: OAuthClient
    member: Any
    app: Application
    bravo_app: Application
    bravo_machine: Application
    bravo_token: str


Probe = Callable[[World], None]


@dataclass(frozen=True)
class Route:
    #: A path this route answers (checked to resolve to it).
    path: str
    #: True: answers people with our error page; False: clients with RFC 6749 §5.2 JSON.
    page: bool
    #: (status, error) of the plan gate's refusal; or a probe of how it refuses another way;
    #: or, as a string, why it is deliberately open to an organization without the plan.
    plan: tuple[int, str] | Probe | str
    #: A probe with another organization's client or token; or why no client is involved.
    foreign: Probe | str


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def assert_invalid_client(response: Any) -> None:
    assert response.status_code == 401, response.content  # RFC 6749 §5.2
    assert response.json()["error"] == "invalid_client"


def assert_invalid_token(response: Any, description: str) -> None:
    assert response.status_code == 401, response.content  # RFC 6750 §3.1
    challenge = html.unescape(response["WWW-Authenticate"])
    assert 'error="invalid_token"' in challenge
    assert description in challenge


def assert_page(response: Any, status: int, text: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("text/html")
    assert text in html.unescape(response.content.decode())


def bravo_token_still_works(world: World) -> None:
    assert world.bravo.api(world.bravo_token).status_code == 200


# --- another organization's client, route by route ----------------------------------------------


def foreign_authorize(world: World) -> None:
    params = {"client_id": world.bravo_app.client_id, "scope": "view:user", "state": "s"}
    shown = world.alpha.authorization_request(world.member, "get", **params)
    assert_page(shown, 400, "Invalid client_id parameter value.")  # never redirected to Bravo's URI
    approved = world.alpha.authorization_request(
        world.member, "post", **params, approved_scopes=["view:user"], allow="Authorize"
    )
    assert_page(approved, 400, "Invalid client_id parameter value.")
    assert not world.bravo_app.grant_set.exists()


def foreign_token(world: World) -> None:
    client = world.alpha.client()
    grant = {"grant_type": "client_credentials"}
    machine = world.bravo_machine.client_id
    assert_invalid_client(client.post("/oauth/token", grant, HTTP_AUTHORIZATION=basic_auth(machine)))
    assert_invalid_client(
        client.post("/oauth/token", {**grant, "client_id": machine, "client_secret": SECRET})
    )


def foreign_revoke(world: World) -> None:
    client = world.alpha.client()
    as_bravo = basic_auth(world.bravo_app.client_id)
    assert_invalid_client(
        client.post("/oauth/revoke", {"token": world.bravo_token}, HTTP_AUTHORIZATION=as_bravo)
    )
    # Alpha's own client cannot revoke Bravo's token either (RFC 7009 §2.2: 200, no effect).
    assert world.alpha.revoke(world.app, world.bravo_token).status_code == 200
    bravo_token_still_works(world)


def foreign_introspect(world: World) -> None:
    client = world.alpha.client()
    data = {"token": world.bravo_token}
    as_bravo = basic_auth(world.bravo_app.client_id)
    assert_invalid_client(client.post("/oauth/introspect", data, HTTP_AUTHORIZATION=as_bravo))
    # Alpha's own client learns nothing about Bravo's token (RFC 7662 §2.2).
    as_alpha = basic_auth(world.app.client_id)
    assert client.post("/oauth/introspect", data, HTTP_AUTHORIZATION=as_alpha).json() == {"active": False}


def foreign_userinfo(world: World) -> None:
    client = world.alpha.client()
    for method in (client.get, client.post):
        assert_invalid_token(method("/oauth/userinfo", **bearer(world.bravo_token)), "error_description=")


def foreign_logout(world: World) -> None:
    browser = world.alpha.client()
    browser.force_login(world.member)
    asked = browser.get("/oauth/logout", {"client_id": world.bravo_app.client_id})
    assert_page(asked, 400, "Invalid sign-out request")
    confirmed = browser.post("/oauth/logout", {"client_id": world.bravo_app.client_id, "allow": "1"})
    assert_page(confirmed, 400, "Invalid sign-out request")
    bravo_token_still_works(world)


def foreign_authorized_apps(world: World) -> None:
    browser = world.alpha.client()
    browser.force_login(world.member)
    assert world.bravo_app.name not in browser.get("/oauth/authorized-apps").content.decode()
    response = browser.post("/oauth/authorized-apps", {"application": world.bravo_app.pk}, follow=True)
    assert "No such application." in html.unescape(response.content.decode())
    bravo_token_still_works(world)


def foreign_device_authorization(world: World) -> None:
    client = world.alpha.client()
    device_app(world.bravo_app.organization, "bravo-tv")
    for credentials in ({"client_id": "bravo-tv"}, {"client_id": world.bravo_app.client_id}):
        assert_invalid_client(
            form_post(client, "/oauth/device_authorization", {**credentials, "scope": "view:user"})
        )
    assert_invalid_client(
        form_post(
            client,
            "/oauth/device_authorization",
            {"scope": "view:user"},
            HTTP_AUTHORIZATION=basic_auth(world.bravo_app.client_id),
        )
    )


def foreign_device(world: World) -> None:
    """Bravo's user code is no code at Alpha's host, for a member of both; and approved at Bravo,
    its device code gets nothing at Alpha's host."""
    device_app(world.bravo_app.organization, "bravo-tv")
    started = codes(world.bravo, "bravo-tv")
    browser = world.alpha.client()
    browser.force_login(world.member)
    assert_page(browser.post("/oauth/device", {"user_code": started["user_code"]}), 200, "not valid here")
    refused = browser.post("/oauth/device/confirm", {"user_code": started["user_code"], "action": "approve"})
    assert_page(refused, 400, "can no longer be used")
    approve(world.bravo, world.member, started["user_code"], ["view:user"])
    stolen = poll(world.alpha, "bravo-tv", started["device_code"])
    assert stolen.json()["error"] == "invalid_grant"


def foreign_registration(world: World) -> None:
    """RFC 7591/7592: Bravo's initial access token registers nothing at Alpha's host; a client
    registered at Bravo is unknown at Alpha's, to its management endpoint and its token endpoint."""
    bravo_org = world.bravo_app.organization
    for organization in (bravo_org, organization_of(world)):
        RegistrationPolicy.objects.create(organization=organization, dynamic_registration="initial_token")
    metadata = json.dumps(
        {"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "none"}
    )
    bravo_token = initial_tokens.issue(bravo_org, label="bravo", lifetime=3600)
    at_alpha = world.alpha.client().post(
        "/oauth/register", metadata, content_type="application/json", **bearer(bravo_token)
    )
    assert_invalid_token(at_alpha, "error_description=")
    registered = (
        world.bravo.client()
        .post("/oauth/register", metadata, content_type="application/json", **bearer(bravo_token))
        .json()
    )
    client_id, token = registered["client_id"], registered["registration_access_token"]
    for method in ("GET", "PUT", "DELETE"):
        managed = send(
            world.alpha.client(), method, f"/oauth/register/{client_id}", data=metadata, **bearer(token)
        )
        assert_invalid_token(managed, "error_description=")
    assert_invalid_client(
        world.alpha.client().post(
            "/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": "x",
                "client_id": client_id,
                "code_verifier": "v" * 43,
            },
        )
    )
    assert (
        send(world.bravo.client(), "GET", f"/oauth/register/{client_id}", **bearer(token)).status_code == 200
    )


# --- an organization without the plan, where the gate lets the request through ------------------


def plan_userinfo(world: World) -> None:
    """Not plan-gated at the door (the RFC 6750 challenge is the answer), but a token of an
    organization without the plan is refused by the one token check."""
    token = world.alpha.code_flow(world.member, world.app, scope="openid").json()["access_token"]
    set_plan(organization_of(world), "basic")
    client = world.alpha.client()
    for method in (client.get, client.post):
        assert_invalid_token(method("/oauth/userinfo", **bearer(token)), "requires the Enterprise plan")


NO_CLIENT = "a public document of the host's own organization: no client or token is presented"
REDUCES_ACCESS = "only ever reduces access; a downgraded organization must still be able to"

ROUTES: dict[str, Route] = {
    f"{NAMESPACE}:authorize": Route("/oauth/authorize", True, (403, "access_denied"), foreign_authorize),
    f"{NAMESPACE}:token": Route("/oauth/token", False, (400, "unauthorized_client"), foreign_token),
    f"{NAMESPACE}:device-authorization": Route(
        "/oauth/device_authorization", False, (400, "unauthorized_client"), foreign_device_authorization
    ),
    f"{NAMESPACE}:device": Route("/oauth/device", True, (403, "access_denied"), foreign_device),
    f"{NAMESPACE}:device-confirm": Route(
        "/oauth/device/confirm", True, (403, "access_denied"), foreign_device
    ),
    f"{NAMESPACE}:revoke-token": Route(
        "/oauth/revoke", False, f"revocation {REDUCES_ACCESS} cut off its tokens", foreign_revoke
    ),
    f"{NAMESPACE}:introspect": Route("/oauth/introspect", False, (403, "access_denied"), foreign_introspect),
    f"{NAMESPACE}:user-info": Route("/oauth/userinfo", False, plan_userinfo, foreign_userinfo),
    f"{NAMESPACE}:rp-initiated-logout": Route(
        "/oauth/logout", True, f"signing out {REDUCES_ACCESS} end sessions", foreign_logout
    ),
    f"{NAMESPACE}:jwks-info": Route("/oauth/jwks", False, (403, "access_denied"), NO_CLIENT),
    f"{NAMESPACE}:oidc-connect-discovery-info": Route(
        "/.well-known/openid-configuration", False, (403, "access_denied"), NO_CLIENT
    ),
    f"{NAMESPACE}:oauth-server-metadata": Route(
        "/.well-known/oauth-authorization-server", False, (403, "access_denied"), NO_CLIENT
    ),
    f"{NAMESPACE}:oauth-resource-metadata": Route(
        "/.well-known/oauth-protected-resource", False, (403, "access_denied"), NO_CLIENT
    ),
    f"{NAMESPACE}:oauth-resource-metadata-path": Route(
        "/.well-known/oauth-protected-resource/api", False, (403, "access_denied"), NO_CLIENT
    ),
    f"{NAMESPACE}:dcr-register": Route(
        "/oauth/register", False, (403, "access_denied"), foreign_registration
    ),
    f"{NAMESPACE}:dcr-register-management": Route(
        "/oauth/register/some-client", False, (403, "access_denied"), foreign_registration
    ),
    f"{NAMESPACE}:authorized-apps": Route(
        "/oauth/authorized-apps",
        True,
        f"the user's own page to see and revoke authorizations {REDUCES_ACCESS} revoke them",
        foreign_authorized_apps,
    ),
}


def route(name: str) -> Route:
    if name not in ROUTES:
        pytest.fail(f"{name} has no entry in ROUTES: decide how it is gated (see this module's docstring).")
    return ROUTES[name]


def set_plan(organization: Organization, plan: str) -> None:
    organization.plan = plan
    organization.save()


def organization_of(world: World) -> Organization:
    return world.app.organization


@pytest.fixture
def world(
    org: Organization, other_org: Organization, member: Any, app: Application, admin_role: Group
) -> World:
    bravo = OAuthClient(host_of(other_org))
    MembershipFactory(user=member, organization=other_org).roles.set([admin_role])
    bravo_app = ApplicationFactory(organization=other_org, client_id="bravo-web", name="Bravo Roster")
    bravo_machine = ApplicationFactory(
        organization=other_org,
        client_id="bravo-m2m",
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    issued = bravo.code_flow(member, bravo_app, scope="openid view:user")
    assert issued.status_code == 200, issued.content
    return World(
        alpha=OAuthClient(host_of(org)),
        bravo=bravo,
        member=member,
        app=app,
        bravo_app=bravo_app,
        bravo_machine=bravo_machine,
        bravo_token=issued.json()["access_token"],
    )


def send(client: Any, method: str, path: str, **extra: Any) -> Any:
    return client.generic(method, path, **extra)


def test_every_route_has_a_decision() -> None:
    assert set(WALKED) == set(ROUTES), "a route without a decision, or a decision without its route"
    for name, entry in ROUTES.items():
        match = resolve(entry.path, urlconf=URLCONF)
        assert f"{NAMESPACE}:{match.url_name}" == name
        assert resolve(entry.path + "/", urlconf=URLCONF).url_name == match.url_name  # the tolerated slash


@pytest.mark.parametrize("name", WALKED)
def test_an_unknown_host_is_a_404_on_every_method(world: World, name: str) -> None:
    """Credentials of a real client, a real token and a signed-in session change nothing."""
    entry = route(name)
    client = OAuthClient(UNKNOWN_HOST).client()
    client.force_login(world.member)
    message = f"No organization answers at host '{UNKNOWN_HOST}'."
    for method in METHODS:
        for credentials in (basic_auth(world.app.client_id), f"Bearer {world.bravo_token}"):
            response = send(client, method, entry.path, HTTP_AUTHORIZATION=credentials)
            assert response.status_code == 404, (method, response.content)
            if method == "HEAD":
                continue
            if entry.page:
                assert_page(response, 404, message)
            else:
                assert response.json() == {"error": "invalid_request", "error_description": message}


@pytest.mark.parametrize("name", WALKED)
def test_an_organization_without_the_plan_is_refused(world: World, name: str) -> None:
    entry = route(name)
    if isinstance(entry.plan, str):
        pytest.skip(f"not plan-gated on purpose: {entry.plan}")
    if callable(entry.plan):
        entry.plan(world)
        return
    status, error = entry.plan
    set_plan(organization_of(world), "basic")
    client = world.alpha.client()
    client.force_login(world.member)
    for method in METHODS:
        response = send(client, method, entry.path, HTTP_AUTHORIZATION=basic_auth(world.app.client_id))
        assert response.status_code == status, (method, response.content)
        if method == "HEAD":
            continue
        if entry.page:
            assert_page(response, status, PLAN_MESSAGE)
        else:
            assert response.json() == {"error": error, "error_description": PLAN_MESSAGE}


@pytest.mark.parametrize("name", WALKED)
def test_another_organizations_client_is_refused(world: World, name: str) -> None:
    entry = route(name)
    if isinstance(entry.foreign, str):
        pytest.skip(f"no client involved: {entry.foreign}")
    entry.foreign(world)
