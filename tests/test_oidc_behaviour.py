"""OpenID Connect behaviour the discovery document advertises, checked one by one: prompt values
(OIDC Core §3.1.2.1, §3.1.2.6), max_age and auth_time, request objects (§6), claims (§5.4),
ID-token lifetime, and requests validated before anyone is asked to sign in (RFC 6749
§4.1.2.1)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.utils import timezone

from perscom_oauth.models import Application
from tests.conftest import make_member
from tests.factories import REDIRECT_URI, ApplicationFactory
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db

SCOPE = "openid profile email view:user"


def params(app: Application, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": "st",
        "nonce": "n-1",
        **extra,
    }


def signed_in(oauth: OAuthClient, user: Any, minutes_ago: float = 0) -> Client:
    browser = oauth.client()
    browser.force_login(user)
    if minutes_ago:
        type(user).objects.filter(pk=user.pk).update(
            last_login=timezone.now() - timedelta(minutes=minutes_ago)
        )
    return browser


def redirected(response: Any) -> dict[str, str]:
    """The query of a redirect to the client's redirect URI."""
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlparse(location).query).items()}


def consent_once(oauth: OAuthClient, member: Any, app: Application) -> None:
    """The user approves SCOPE once (remembered consent, REMEMBER_CONSENT)."""
    token = oauth.code_flow(member, app, scope=SCOPE, nonce="n-0")
    assert token.status_code == 200


def exchange(oauth: OAuthClient, app: Application, code: str) -> dict[str, Any]:
    response = oauth.exchange(app, code)
    assert response.status_code == 200, response.content
    return dict(response.json())


def id_token_claims(token: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims (its signature is checked by tests/test_oidc.py's relying party)."""
    payload = token["id_token"].split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# --- prompt=none (§3.1.2.6) ------------------------------------------------------------------


def test_prompt_none_signed_out_is_login_required(oauth: OAuthClient, app: Application) -> None:
    answer = redirected(oauth.client().get("/oauth/authorize", params(app, prompt="none")))
    assert (answer["error"], answer["state"]) == ("login_required", "st")
    assert answer["iss"] == f"http://{oauth.host}"  # RFC 9207 §2, on errors too


def test_prompt_none_without_remembered_consent_is_consent_required(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    browser = signed_in(oauth, member)
    answer = redirected(browser.get("/oauth/authorize", params(app, prompt="none")))
    assert (answer["error"], answer["state"]) == ("consent_required", "st")


def test_prompt_none_with_remembered_consent_is_a_code_never_a_page(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    consent_once(oauth, member, app)
    browser = signed_in(oauth, member)
    answer = redirected(browser.get("/oauth/authorize", params(app, prompt="none")))
    assert answer["state"] == "st"
    assert id_token_claims(exchange(oauth, app, answer["code"]))["nonce"] == "n-1"


def test_prompt_none_for_a_sign_in_older_than_max_age_is_login_required(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    consent_once(oauth, member, app)
    browser = signed_in(oauth, member, minutes_ago=10)
    answer = redirected(browser.get("/oauth/authorize", params(app, prompt="none", max_age="60")))
    assert answer["error"] == "login_required"


def test_prompt_none_for_a_non_member_is_login_required(
    oauth: OAuthClient, app: Application, django_user_model: Any
) -> None:
    outsider = django_user_model.objects.create_user("outsider")
    answer = redirected(signed_in(oauth, outsider).get("/oauth/authorize", params(app, prompt="none")))
    assert answer["error"] == "login_required"


def test_prompt_none_combined_with_another_value_is_invalid(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    browser = signed_in(oauth, member)
    answer = redirected(browser.get("/oauth/authorize", params(app, prompt="none login")))
    assert answer["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("signed_in_now", "extra", "error"),
    [
        (False, {"prompt": "none"}, "login_required"),
        (True, {"prompt": "none"}, "consent_required"),
        (True, {"request": "x.y.z"}, "request_not_supported"),
        (True, {"max_age": "soon"}, "invalid_request"),
    ],
)
def test_implicit_errors_are_in_the_fragment(
    oauth: OAuthClient, member: Any, org: Any, signed_in_now: bool, extra: dict[str, str], error: str
) -> None:
    # OIDC Core §3.2.2.6: an implicit request's error comes back where its ID token would.
    implicit = ApplicationFactory(
        organization=org, client_id="alpha-spa", authorization_grant_type=Application.GRANT_IMPLICIT
    )
    browser = signed_in(oauth, member) if signed_in_now else oauth.client()
    response = browser.get("/oauth/authorize", params(implicit, response_type="id_token", **extra))
    location = urlparse(response["Location"])
    assert response.status_code == 302 and location.query == ""
    answer = parse_qs(location.fragment)
    assert answer["error"] == [error] and answer["state"] == ["st"] and "iss" in answer


@pytest.mark.parametrize("mode", ["query", "fragment"])
def test_each_advertised_response_mode_is_honoured(
    oauth: OAuthClient, member: Any, app: Application, mode: str
) -> None:
    consent_once(oauth, member, app)
    response = signed_in(oauth, member).get("/oauth/authorize", params(app, response_mode=mode))
    location = urlparse(response["Location"])
    assert response.status_code == 302 and "code" in parse_qs(getattr(location, mode))


def test_id_token_hint_must_name_the_signed_in_user(
    oauth: OAuthClient, member: Any, app: Application, org: Any, admin_role: Any
) -> None:
    # OIDC Core §3.1.2.1: a hint naming someone else is login_required, even with consent.
    own_hint = oauth.code_flow(member, app, scope=SCOPE, nonce="n-0").json()["id_token"]
    other = make_member(org, "other", admin_role)
    others_hint = oauth.code_flow(other, app, scope=SCOPE, nonce="n-0").json()["id_token"]
    browser = signed_in(oauth, member)

    def silent(hint: str) -> dict[str, str]:
        return redirected(browser.get("/oauth/authorize", params(app, prompt="none", id_token_hint=hint)))

    assert "code" in silent(own_hint)
    assert silent(others_hint)["error"] == "login_required"
    assert silent(own_hint[:-4] + "AAAA")["error"] == "login_required"  # signature tampered with
    assert silent("not-a-jwt")["error"] == "login_required"
    # Signed out, an interactive request with a hint goes to the sign-in page as usual.
    response = oauth.client().get("/oauth/authorize", params(app, id_token_hint=others_hint))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- max_age, prompt=login, prompt=consent (§3.1.2.1) ----------------------------------------


def test_max_age_exceeded_asks_for_the_password_again(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    consent_once(oauth, member, app)
    browser = signed_in(oauth, member, minutes_ago=1)
    response = browser.get("/oauth/authorize", params(app, max_age="1"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    next_url = parse_qs(urlparse(response["Location"]).query)["next"][0]
    assert "max_age" not in next_url and "client_id=" in next_url

    browser.force_login(member)  # the new sign-in: last_login is now
    answer = redirected(browser.get(next_url))
    claims = id_token_claims(exchange(oauth, app, answer["code"]))
    member.refresh_from_db()
    assert claims["auth_time"] == int(member.last_login.timestamp())
    assert claims["auth_time"] >= int(timezone.now().timestamp()) - 5


@pytest.mark.parametrize("max_age", ["0", "1"])
def test_max_age_always_reauthenticates_a_sign_in_that_old(
    oauth: OAuthClient, member: Any, app: Application, max_age: str
) -> None:
    consent_once(oauth, member, app)
    browser = signed_in(oauth, member, minutes_ago=0.05)  # three seconds ago
    response = browser.get("/oauth/authorize", params(app, max_age=max_age))
    assert response["Location"].startswith("/accounts/login/")


def test_a_recent_enough_sign_in_satisfies_max_age(oauth: OAuthClient, member: Any, app: Application) -> None:
    consent_once(oauth, member, app)
    browser = signed_in(oauth, member, minutes_ago=1)
    assert "code" in redirected(browser.get("/oauth/authorize", params(app, max_age="3600")))


@pytest.mark.parametrize("prompt", ["", "none"])
@pytest.mark.parametrize("max_age", ["soon", "-1", "1.5", "\u00b2", "\u0661\u0662"])  # ², Arabic-Indic 12
def test_max_age_that_is_not_a_number_is_invalid_request(
    oauth: OAuthClient, member: Any, app: Application, max_age: str, prompt: str
) -> None:
    extra = {"max_age": max_age, **({"prompt": prompt} if prompt else {})}
    answer = redirected(signed_in(oauth, member).get("/oauth/authorize", params(app, **extra)))
    assert answer["error"] == "invalid_request"


@pytest.mark.parametrize("prompt", ["", "none"])
def test_a_max_age_of_centuries_is_satisfied_not_a_crash(
    oauth: OAuthClient, member: Any, app: Application, prompt: str
) -> None:
    consent_once(oauth, member, app)
    extra = {"max_age": "9" * 30, **({"prompt": prompt} if prompt else {})}
    assert "code" in redirected(signed_in(oauth, member).get("/oauth/authorize", params(app, **extra)))


def sign_in_page_then_back(browser: Client, response: Any, member: Any) -> Any:
    """Follows the redirect to the sign-in page, signs in, and returns to where it pointed."""
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    next_url = parse_qs(urlparse(response["Location"]).query)["next"][0]
    prompt = parse_qs(urlparse(next_url).query).get("prompt", [""])[0]
    assert "max_age" not in next_url and "login" not in prompt.split()
    browser.force_login(member)
    return browser.get(next_url)


def test_signing_in_satisfies_max_age_zero_without_a_loop(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    consent_once(oauth, member, app)
    browser = oauth.client()  # signed out
    response = browser.get("/oauth/authorize", params(app, max_age="0"))
    assert "code" in redirected(sign_in_page_then_back(browser, response, member))


@pytest.mark.parametrize("extra", [{"prompt": "login consent"}, {"prompt": "consent", "max_age": "0"}])
@pytest.mark.parametrize("signed_in_before", [True, False])
def test_signing_in_again_keeps_prompt_consent(
    oauth: OAuthClient, member: Any, app: Application, extra: dict[str, str], signed_in_before: bool
) -> None:
    # §3.1.2.1: "login" and max_age are satisfied by the sign-in; "consent" still shows the screen.
    consent_once(oauth, member, app)
    browser = signed_in(oauth, member, minutes_ago=1) if signed_in_before else oauth.client()
    response = browser.get("/oauth/authorize", params(app, **extra))
    page = sign_in_page_then_back(browser, response, member)
    assert page.status_code == 200 and b'name="allow"' in page.content


def test_prompt_login_asks_for_the_password_again(oauth: OAuthClient, member: Any, app: Application) -> None:
    consent_once(oauth, member, app)
    response = signed_in(oauth, member).get("/oauth/authorize", params(app, prompt="login"))
    assert response["Location"].startswith("/accounts/login/")
    assert "prompt" not in parse_qs(urlparse(response["Location"]).query)["next"][0]


def test_prompt_consent_always_shows_the_screen(oauth: OAuthClient, member: Any, app: Application) -> None:
    consent_once(oauth, member, app)
    browser = signed_in(oauth, member)
    assert browser.get("/oauth/authorize", params(app)).status_code == 302  # remembered
    page = browser.get("/oauth/authorize", params(app, prompt="consent"))
    assert page.status_code == 200 and 'name="allow"' in page.content.decode()


# --- request objects (§6) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "error"),
    [("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")],
)
@pytest.mark.parametrize("session", ["signed in", "signed out"])
def test_request_objects_are_refused_not_ignored(
    oauth: OAuthClient, member: Any, app: Application, parameter: str, error: str, session: str
) -> None:
    browser = signed_in(oauth, member) if session == "signed in" else oauth.client()
    answer = redirected(
        browser.get("/oauth/authorize", params(app, **{parameter: "eyJhbGciOiJub25lIn0.e30."}))
    )
    assert (answer["error"], answer["state"]) == (error, "st")


# --- errors before sign-in (RFC 6749 §4.1.2.1) ----------------------------------------------


@pytest.mark.parametrize(
    ("change", "title"),
    [
        ({"client_id": "nobody"}, "Unknown application"),
        ({"redirect_uri": "https://evil.example/cb"}, "cannot"),
    ],
)
def test_an_unusable_request_is_explained_before_anyone_signs_in(
    oauth: OAuthClient, app: Application, change: dict[str, str], title: str
) -> None:
    response = oauth.client().get("/oauth/authorize", {**params(app), **change})
    assert response.status_code == 400
    assert not response.has_header("Location")  # neither a sign-in form nor the evil URI
    assert title in response.content.decode()


# --- claims (§5.4) and ID-token lifetime ---------------------------------------------------------


def test_every_advertised_claim_is_released_by_its_scope(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    advertised = oauth.client().get("/.well-known/openid-configuration").json()["claims_supported"]
    member.first_name, member.email = "Pat", "pat@example.test"
    member.save()
    token = oauth.code_flow(member, app, scope=SCOPE, nonce="n").json()
    userinfo = oauth.client().get("/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert set(advertised) == set(userinfo.json()) == set(id_token_claims(token)) & set(advertised)
    narrow = oauth.code_flow(member, app, scope="openid view:user", nonce="n").json()
    userinfo = oauth.client().get("/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {narrow['access_token']}")
    assert set(userinfo.json()) == {"sub", "organization"}  # profile and email not asked


@pytest.mark.parametrize(("lifetime", "expected"), [(None, 3600), (600, 600)])
def test_id_token_lifetime_is_an_hour_or_the_applications_own(
    oauth: OAuthClient, member: Any, app: Application, lifetime: int | None, expected: int
) -> None:
    Application.objects.filter(pk=app.pk).update(id_token_lifetime=lifetime)
    claims = id_token_claims(oauth.code_flow(member, app, scope=SCOPE, nonce="n").json())
    assert claims["exp"] - claims["iat"] == expected


def test_userinfo_at_an_unknown_host_or_without_the_plan(
    oauth: OAuthClient, member: Any, app: Application, org: Any
) -> None:
    token = oauth.code_flow(member, app, scope=SCOPE, nonce="n").json()["access_token"]
    unknown = Client(HTTP_HOST="nowhere.example.test").get(
        "/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert unknown.status_code == 404 and unknown.json()["error"] == "invalid_request"
    org.plan = "basic"
    org.save()
    refused = oauth.api(token, "/oauth/userinfo")
    assert refused.status_code == 401 and 'error="invalid_token"' in refused["WWW-Authenticate"]
