"""Issue 24, item 1: every MUST of the standards we claim, each test naming the section it
checks. An integrator found each of these deviations against the demo; each test failed before
its fix. Errors go back as the standards say: a JSON ``error``/``error_description`` body at the
token-side endpoints, a redirect to the client (``error``, ``state``, ``iss``) at the
authorization endpoint once the client and its redirect URI are known good."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.test import Client

from perscom_oauth.models import Application
from tests.device import device_app
from tests.factories import REDIRECT_URI, ApplicationFactory
from tests.oauth import OAuthClient, basic_auth, pkce_pair

pytestmark = pytest.mark.django_db

BYE = "https://rp.example/bye"


def code_request(app: Application, **extra: str) -> dict[str, str]:
    """A valid authorization code request with a PKCE challenge (the integrator's)."""
    _verifier, challenge = pkce_pair()
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid view:user",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def browser(oauth: OAuthClient, user: Any = None) -> Client:
    """A browser as browsers are: CSRF enforced; signed in as ``user`` if given."""
    client = Client(HTTP_HOST=oauth.host, enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def answer_to_client(response: Any) -> dict[str, str]:
    """The parameters of a redirect to the client's redirect URI, query and fragment merged."""
    assert response.status_code == 302, response.content[:500]
    location = urlparse(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI), response["Location"]
    merged = parse_qs(location.query) | parse_qs(location.fragment)
    return {key: values[0] for key, values in merged.items()}


def error_to_client(response: Any, error: str) -> dict[str, str]:
    """An RFC 6749 §4.1.2.1 error redirect carrying ``state`` and RFC 9207 ``iss``."""
    answer = answer_to_client(response)
    assert answer.get("error") == error, answer
    assert answer["state"] == "st-1" and answer["iss"], answer
    return answer


def consent_once(oauth: OAuthClient, user: Any, app: Application) -> None:
    """The user approves once: later requests for the same scopes may skip the screen."""
    assert oauth.code_flow(user, app, scope="openid view:user", nonce="n-0").status_code == 200


# --- 1. OIDC Core §3.1.2.1: the authorization endpoint supports GET and POST --------------------


def test_oidc_core_3_1_2_1_authorization_request_by_post_is_handled_as_by_get(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    user = browser(oauth, member)
    shown = user.post("/oauth/authorize", code_request(app))
    assert shown.status_code == 200, shown.content[:300]  # the consent screen, as for GET
    assert "authorizationForm" in shown.content.decode()
    # The consent form posted back (hidden fields, CSRF token) issues the code.
    form = {key: value for key, value in shown.context["form"].initial.items() if value is not None}
    decided = user.post(
        "/oauth/authorize",
        {
            **form,
            "approved_scopes": ["view:user"],
            "allow": "Authorize",
            "csrfmiddlewaretoken": shown.context["csrf_token"],
        },
    )
    assert "code" in answer_to_client(decided)


def test_oidc_core_3_1_2_1_post_request_errors_and_silent_answers_go_to_the_client(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    # prompt=none without a session (§3.1.2.6), by POST as by GET.
    error_to_client(
        browser(oauth).post("/oauth/authorize", code_request(app, prompt="none")), "login_required"
    )
    # Without a session, the sign-in page returns to a GET of the same request.
    login = browser(oauth).post("/oauth/authorize", code_request(app))
    assert login.status_code == 302 and "/accounts/login/" in login["Location"]
    assert "client_id%3Dalpha-web" in login["Location"] or "client_id=alpha-web" in login["Location"]


def test_oidc_core_3_1_2_1_the_consent_decision_stays_csrf_protected(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    # A decision (allow, cancel, the scope boxes) without the form's CSRF token is forged.
    for decision in ({"allow": "Authorize"}, {"cancel": "cancel"}, {"approved_scopes": ["view:user"]}):
        forged = browser(oauth, member).post("/oauth/authorize", {**code_request(app), **decision})
        assert forged.status_code == 403, decision


# --- 2. RP-Initiated Logout 1.0 §2: the logout endpoint supports GET and POST -------------------


def test_rp_initiated_logout_2_logout_request_by_post(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    app.post_logout_redirect_uris = BYE
    app.save()
    request = {"client_id": app.client_id, "post_logout_redirect_uri": BYE, "state": "s-1"}
    # Signed in: the confirmation page, as for GET (never a cancellation).
    user = browser(oauth, member)
    page = user.post("/oauth/logout", request)
    assert page.status_code == 200 and "_auth_user_id" in user.session
    assert "Sign out of Alpha Unit?" in page.content.decode()
    # Nobody signed in: back to the client, with its state.
    back = browser(oauth).post("/oauth/logout", request)
    assert back.status_code == 302 and back["Location"] == f"{BYE}?state=s-1"


def test_rp_initiated_logout_2_the_confirmation_stays_csrf_protected(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    user = browser(oauth, member)
    for decision in ({"allow": "yes"}, {"cancel": "cancel"}):
        forged = user.post("/oauth/logout", {"client_id": app.client_id, **decision})
        assert forged.status_code == 403, decision
    assert "_auth_user_id" in user.session


# --- 3. Multiple Response Type Encoding Practices §5: no query encoding for tokens ---------------


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token"])
def test_multiple_response_types_5_tokens_never_in_the_query(
    oauth: OAuthClient, member: Any, org: Any, response_type: str
) -> None:
    spa = ApplicationFactory(
        organization=org,
        client_id="alpha-spa",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
    )
    request = {
        "response_type": response_type,
        "client_id": spa.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid view:user",
        "state": "st-1",
        "nonce": "n-1",
        "response_mode": "query",
    }
    shown = browser(oauth, member).get("/oauth/authorize", request)
    # The consent form posts back to its page's URL, whose query is the request.
    approving = oauth.client()
    approving.force_login(member)
    form = {key: value for key, value in request.items() if key != "response_mode"}
    decided = approving.post(
        f"/oauth/authorize?{urlencode(request)}",
        {**form, "approved_scopes": ["view:user"], "allow": "Authorize"},
    )
    for response in (shown, decided):
        location = urlparse(response["Location"]) if response.status_code == 302 else None
        assert location is not None, response.content[:300]
        assert location.query == "" and "access_token" not in location.fragment
        assert "id_token=" not in location.fragment
        error_to_client(response, "invalid_request")


# --- 4, 5. RFC 6749 §5.2, RFC 9110 §15.5.2: a 401 challenges the scheme the client used --------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/oauth/token", {"grant_type": "client_credentials", "scope": "view:user"}),
        ("/oauth/revoke", {"token": "anything"}),
        ("/oauth/introspect", {"token": "anything"}),
    ],
)
def test_rfc6749_5_2_failed_basic_authentication_is_challenged_with_basic(
    oauth: OAuthClient, machine: Application, path: str, data: dict[str, str]
) -> None:
    response = oauth.client().post(path, data, HTTP_AUTHORIZATION=basic_auth(machine.client_id, "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith('Basic realm="')


def test_rfc9110_15_5_2_introspection_401_carries_a_challenge(oauth: OAuthClient) -> None:
    response = oauth.client().post("/oauth/introspect", {"token": "anything"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="')


# --- 6. RFC 6749 §4.1.3, §5.2: another redirect_uri at the exchange is invalid_grant -------------


def test_rfc6749_5_2_code_exchanged_with_another_redirect_uri_is_invalid_grant(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    code, verifier = oauth.pkce_code(member, app)
    response = oauth.exchange(app, code, code_verifier=verifier, redirect_uri="http://127.0.0.1:8765/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


# --- 7. RFC 6749 §4.1.2.1: an unsupported response_type -----------------------------------------


@pytest.mark.parametrize(
    "response_type", ["code id_token", "code token", "code id_token token", "none", "banana"]
)
def test_rfc6749_4_1_2_1_unsupported_response_type(
    oauth: OAuthClient, member: Any, app: Application, response_type: str
) -> None:
    response = browser(oauth, member).get("/oauth/authorize", code_request(app, response_type=response_type))
    error_to_client(response, "unsupported_response_type")


# --- 8. OIDC Core §3.1.2.1: prompt=select_account -----------------------------------------------


def test_oidc_core_3_1_2_1_select_account_offers_the_choice(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    consent_once(oauth, member, app)
    # Without the prompt, the remembered consent issues a code at once ...
    assert "code" in answer_to_client(browser(oauth, member).get("/oauth/authorize", code_request(app)))
    # ... with it, the user chooses: continue as the signed-in account, or sign in as another.
    page = browser(oauth, member).get("/oauth/authorize", code_request(app, prompt="select_account"))
    assert page.status_code == 200, page.content[:300]
    html = page.content.decode()
    assert "member" in html and "Sign in with another account" in html


# --- 9. RFC 6749 §4.1.2.1: prompt=create goes back to the client --------------------------------


@pytest.mark.parametrize("signed_in", [True, False])
def test_rfc6749_4_1_2_1_prompt_create_is_an_error_redirect(
    oauth: OAuthClient, member: Any, app: Application, signed_in: bool
) -> None:
    user = browser(oauth, member if signed_in else None)
    response = user.get("/oauth/authorize", code_request(app, prompt="create"))
    answer = error_to_client(response, "invalid_request")
    assert "create" in answer["error_description"]


# --- 10. RFC 6749 §3.1, §3.2: no parameter more than once ---------------------------------------


def test_rfc6749_3_1_repeated_parameter_at_the_authorization_endpoint(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    query = urlencode(code_request(app, prompt="login")) + "&prompt=consent"
    answer = error_to_client(browser(oauth, member).get(f"/oauth/authorize?{query}"), "invalid_request")
    assert "prompt" in answer["error_description"]
    # Repeated state (or client_id, redirect_uri): nothing can be trusted, never a redirect.
    twice = urlencode(code_request(app)) + "&state=other"
    refused = browser(oauth, member).get(f"/oauth/authorize?{twice}")
    assert refused.status_code == 400 and "Location" not in refused


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/oauth/token", "grant_type=client_credentials&scope=view:user&scope=view:rank"),
        ("/oauth/revoke", "token=a&token=b"),
        ("/oauth/introspect", "token=a&token=b"),
        ("/oauth/device_authorization", "client_id=alpha-tv&scope=view:user&scope=view:user"),
        ("/oauth/device", "user_code=ABCD-EFGH&user_code=ABCD-EFGH"),
    ],
)
def test_rfc6749_3_2_repeated_parameter_at_the_token_side_endpoints(
    oauth: OAuthClient, machine: Application, org: Any, path: str, body: str
) -> None:
    device_app(org)
    response = oauth.client().post(
        path,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(machine.client_id),
    )
    assert response.status_code == 400, response.content[:300]
    if path != "/oauth/device":  # a page for people
        assert response.json()["error"] == "invalid_request"
        assert "more than once" in response.json()["error_description"]


def test_rfc6749_3_2_a_parameter_in_both_query_and_body_is_repeated(
    oauth: OAuthClient, machine: Application
) -> None:
    response = oauth.client().post(
        "/oauth/token?scope=view:user",
        "grant_type=client_credentials&scope=view:user",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(machine.client_id),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_rfc8707_2_resource_may_be_repeated(oauth: OAuthClient, machine: Application) -> None:
    response = oauth.client().post(
        "/oauth/token",
        "grant_type=client_credentials&scope=view:user&resource=https://a.example/&resource=https://b.example/",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(machine.client_id),
    )
    assert response.json().get("error") != "invalid_request", response.content


# --- 11. OIDC Core §3.1.2.1: a malformed max_age is invalid, not unsupported --------------------


@pytest.mark.parametrize("max_age", ["abc", "-1", "1.5"])
def test_oidc_core_3_1_2_1_malformed_max_age_is_invalid_request(
    oauth: OAuthClient, member: Any, app: Application, max_age: str
) -> None:
    response = browser(oauth, member).get("/oauth/authorize", code_request(app, max_age=max_age))
    answer = error_to_client(response, "invalid_request")
    assert "max_age" in answer["error_description"] and "invalid" in answer["error_description"].lower()
    assert "not supported" not in answer["error_description"]
