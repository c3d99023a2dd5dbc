"""Issue 20, item 8: the error pages speak to the member who reaches them.

What happened and what they can do, in plain words, with whom to ask; never an operator's
words (hosts, plans, parameters, protocol codes) outside the small print, which keeps them for
whoever the member reports the problem to; never "try again" where that cannot help; and no
link to ``/``, which a bare project does not serve (item 6).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from perscom_oauth.models import Application, Organization
from tests.factories import REDIRECT_URI
from tests.oauth import OAuthClient, host_of

pytestmark = pytest.mark.django_db

OPERATOR_WORDS = ("organization answers", "host", "plan", "parameter", "client_id", "oauth", "invalid_")


def words(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def split(response: Any, status: int) -> tuple[str, str]:
    """The member's part of the error page (title, words, advice) and its small print."""
    assert response.status_code == status, response.content
    page = response.content.decode()
    assert 'href="/"' not in page  # item 6: no link to a home page a bare project lacks
    main = page[page.index("<main") : page.index("</main>")]
    member, _, small_print = main.partition('class="error-details"')
    return words(member), words(small_print)


def assert_for_members(member: str) -> None:
    lowered = member.lower()
    for term in OPERATOR_WORDS:
        assert term not in lowered, f"{term!r} in the member's words: {member}"
    assert "try again" not in lowered


def signed_in(user: Any, host: str) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def authorize(client: Client, **params: str) -> Any:
    query = {"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "view:user", **params}
    return client.get("/oauth/authorize", query)


def test_an_unknown_address(member: Any) -> None:
    response = signed_in(member, "nowhere.example.test").get("/oauth/authorized-apps")
    member_words, small_print = split(response, 404)
    assert "This address is not set up for sign-in" in member_words
    assert "Check the address you were given" in member_words
    assert_for_members(member_words)
    assert "No organization answers at host 'nowhere.example.test'." in small_print


def test_an_organization_without_the_plan(member: Any, org: Organization, app: Application) -> None:
    org.plan = "basic"
    org.save()
    response = authorize(signed_in(member, host_of(org)), client_id=app.client_id)
    member_words, small_print = split(response, 403)
    assert "Apps cannot use Alpha Unit accounts" in member_words
    assert "ask an administrator of Alpha Unit" in member_words
    assert_for_members(member_words)
    assert "OAuth 2.0 requires the Enterprise plan" in small_print  # for whoever they tell


def test_someone_who_is_not_a_member(org: Organization, app: Application) -> None:
    stranger = get_user_model().objects.create_user("stranger", password="x")
    response = authorize(signed_in(stranger, host_of(org)), client_id=app.client_id)
    member_words, small_print = split(response, 403)
    assert "You are not a member of Alpha Unit" in member_words
    assert "ask an administrator of Alpha Unit to add you" in member_words
    assert "Sign in with another account" in member_words
    assert_for_members(member_words)
    assert "access_denied" in small_print


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"client_id": "nobody"}, "Unknown application"),
        ({"redirect_uri": "https://evil.example/cb"}, "This request cannot be completed"),
    ],
)
def test_an_app_that_sent_a_request_it_cannot_make(
    member: Any, org: Organization, app: Application, params: dict[str, str], title: str
) -> None:
    response = authorize(signed_in(member, host_of(org)), **{"client_id": app.client_id, **params})
    member_words, small_print = split(response, response.status_code)
    assert response.status_code in (400, 401)
    assert title in member_words
    assert "Trying again will not help" in member_words and "people who run it" in member_words
    assert_for_members(member_words)
    assert "invalid_request" in small_print


def test_a_damaged_link(member: Any, org: Organization, app: Application) -> None:
    response = authorize(signed_in(member, host_of(org)), client_id=app.client_id, nonce="x" * 5000)
    member_words, small_print = split(response, 400)
    assert "This link did not work" in member_words
    assert "start again from its sign-in button" in member_words
    assert_for_members(member_words)
    assert "Invalid request" in small_print and "longer than" in small_print


def test_a_tampered_consent_form(oauth: OAuthClient, member: Any, app: Application) -> None:
    client = signed_in(member, oauth.host)
    response = client.post("/oauth/authorize", {"client_id": app.client_id, "allow": "Authorize"})
    member_words, small_print = split(response, 400)
    assert "This link did not work" in member_words
    assert_for_members(member_words)
    assert "Malformed authorization request" in small_print


def test_a_sign_out_request_that_cannot_be_accepted(member: Any, org: Organization) -> None:
    response = signed_in(member, host_of(org)).get("/oauth/logout", {"client_id": "nobody"})
    member_words, small_print = split(response, 400)
    assert "This sign-out cannot be completed" in member_words and "nothing was changed" in member_words
    assert "use the app's sign-out button again" in member_words
    assert_for_members(member_words)
    assert "Invalid sign-out request" in small_print


@pytest.mark.parametrize("signed_in_first", [True, False])
def test_the_signed_out_pages_link_to_no_missing_home_page(
    member: Any, org: Organization, signed_in_first: bool
) -> None:
    client = signed_in(member, host_of(org)) if signed_in_first else Client(HTTP_HOST=host_of(org))
    page = client.post("/oauth/logout", {"allow": "yes"}) if signed_in_first else client.get("/oauth/logout")
    assert page.status_code == 200
    assert 'href="/"' not in page.content.decode()
