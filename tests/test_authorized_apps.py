"""The user's "Authorized applications" page (/oauth/authorized-apps): what they granted in this
organization, in words, and a Revoke button that takes effect at once."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from oauth2_provider.models import AccessToken, RefreshToken, get_grant_model

from perscom_oauth.models import Application, AuditEvent, Organization
from tests.admin_support import events, text
from tests.conftest import make_member
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, host_of

Grant = get_grant_model()

pytestmark = pytest.mark.django_db
URL = "/oauth/authorized-apps"


def page_for(user: Any, organization: Organization, **kwargs: Any) -> Client:
    client = Client(HTTP_HOST=host_of(organization), **kwargs)
    client.force_login(user)
    return client


def test_sign_in_first(org: Organization) -> None:
    response = Client(HTTP_HOST=host_of(org)).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/oauth/authorized-apps")


def test_unknown_host_is_404(member: Any) -> None:
    client = Client(HTTP_HOST="nowhere.example.test")
    client.force_login(member)
    assert client.get(URL).status_code == 404


def test_lists_what_the_user_authorized_here_in_words(
    oauth: OAuthClient,
    member: Any,
    app: Application,
    org: Organization,
    other_org: Organization,
    admin_role: Any,
) -> None:
    app.description = "Keeps the roster in sync."
    app.save()
    oauth.code_flow(member, app, scope="view:user view:rank")
    unused = ApplicationFactory(organization=org, name="Never Used")
    someone = make_member(org, "someone", admin_role)
    oauth.code_flow(someone, unused)
    elsewhere = ApplicationFactory(organization=other_org, name="Bravo App")
    make_member(other_org, "member", admin_role)  # the same user, member of Bravo too
    OAuthClient(host_of(other_org)).code_flow(member, elsewhere)

    response = page_for(member, org).get(URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    words = text(response)
    assert app.name in words and "Keeps the roster in sync." in words
    assert "See users" in words and "See ranks" in words
    assert "Signed in to Alpha Unit as member" in words
    assert "Authorized just now" in words and "last used just now" in words
    assert "Never Used" not in words  # another user's
    assert "Bravo App" not in words  # another organization's


def test_revoke_takes_effect_at_once(
    oauth: OAuthClient, member: Any, app: Application, org: Organization
) -> None:
    token = oauth.code_flow(member, app).json()
    oauth.authorize(member, app)  # and an unused code
    client = page_for(member, org)

    response = client.post(URL, {"application": str(app.pk)})

    assert response.status_code == 302 and response["Location"] == URL
    assert oauth.api(token["access_token"]).status_code == 401
    refused = oauth.token(
        grant_type="refresh_token",
        refresh_token=token["refresh_token"],
        client_id=app.client_id,
        client_secret="s3cret-for-tests",
    )
    assert refused.status_code == 400
    assert not Grant.objects.exists()
    after = client.get(URL)
    assert f"{app.name} can no longer access your account." in text(after)
    assert "You have not authorized any application" in text(after)
    [revoked] = events(AuditEvent.Event.TOKENS_REVOKED, details__reason="user")
    assert (revoked.actor, revoked.actor_type, revoked.subject, revoked.application) == (
        member,
        "user",
        "member",
        app,
    )


def test_revoke_needs_csrf(oauth: OAuthClient, member: Any, app: Application, org: Organization) -> None:
    token = oauth.code_flow(member, app).json()["access_token"]
    response = page_for(member, org, enforce_csrf_checks=True).post(URL, {"application": str(app.pk)})
    assert response.status_code == 403
    assert oauth.api(token).status_code == 200


def test_revoke_touches_only_this_user_and_organization(
    oauth: OAuthClient, member: Any, app: Application, other_org: Organization, admin_role: Any
) -> None:
    someone = make_member(app.organization, "someone", admin_role)
    theirs = oauth.code_flow(someone, app).json()["access_token"]
    elsewhere = ApplicationFactory(organization=other_org)
    client = page_for(member, app.organization)

    client.post(URL, {"application": str(elsewhere.pk)})
    client.post(URL, {"application": "junk"})
    client.post(URL, {"application": str(app.pk)})  # the member holds nothing: nothing to revoke

    assert oauth.api(theirs).status_code == 200
    assert RefreshToken.objects.filter(user=someone, revoked__isnull=True).exists()
    assert not events(AuditEvent.Event.TOKENS_REVOKED)


def test_page_queries_do_not_grow_with_applications(
    oauth: OAuthClient, member: Any, org: Organization, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        oauth.code_flow(member, ApplicationFactory(organization=org, name=f"App {n}"))
    client = page_for(member, org)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert text(response).count("Revoke App") == 5


def test_revoke_asks_first_naming_the_app(
    oauth: OAuthClient, member: Any, app: Application, org: Organization
) -> None:
    app.name = "Roster Sync"
    app.save()
    token = oauth.code_flow(member, app).json()["access_token"]
    client = page_for(member, org)

    listing = client.get(URL).content.decode()
    assert f'name="revoke" value="{app.pk}"' in listing and "Revoke Roster Sync" in listing
    assert "Yes, revoke" not in listing

    confirm = client.get(URL, {"revoke": str(app.pk)})
    assert confirm.status_code == 200
    assert "Revoke Roster Sync's access to your account?" in confirm.content.decode()
    assert "Yes, revoke Roster Sync" in text(confirm) and "Keep access" in text(confirm)
    assert 'name="csrfmiddlewaretoken"' in confirm.content.decode()
    assert oauth.api(token).status_code == 200  # asking changed nothing

    assert "Yes, revoke" not in text(client.get(URL, {"revoke": "99999"}))  # not theirs: no prompt
    client.post(URL, {"application": str(app.pk)})
    assert oauth.api(token).status_code == 401


def test_empty_state(member: Any, org: Organization) -> None:
    words = text(page_for(member, org).get(URL))
    assert "No applications yet" in words and "You have not authorized any application" in words


def test_times_read_as_people_say_them(
    oauth: OAuthClient, member: Any, app: Application, org: Organization
) -> None:
    oauth.code_flow(member, app)
    now = timezone.now()
    AccessToken.objects.update(created=now - timedelta(hours=3))
    RefreshToken.objects.update(created=now - timedelta(days=40))
    words = text(page_for(member, org).get(URL))
    first = date_format(timezone.localtime(now - timedelta(days=40)), "DATE_FORMAT")
    assert f"Authorized on {first}" in words  # older than a week: the date
    assert "last used 3 hours ago" in words


class _Lists(HTMLParser):
    """Each <li>'s parent and each element with role=status, as a browser's tree would have them."""

    VOID = {"meta", "link", "input", "img", "br", "hr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.orphan_items: list[str] = []
        self.status_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "li":
            parent_tag, parent_attrs = self.stack[-1] if self.stack else ("", {})
            if parent_tag not in ("ul", "ol") or parent_attrs.get("role"):
                self.orphan_items.append(f"li in <{parent_tag} role={parent_attrs.get('role')}>")
        if named.get("role") == "status":
            self.status_tags.append(tag)
        if tag not in self.VOID:
            self.stack.append((tag, named))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass


@pytest.mark.parametrize("revoked", [True, False], ids=["after a revoke", "after an error"])
def test_the_page_after_a_revoke_or_an_error_keeps_its_lists_lists(
    oauth: OAuthClient, member: Any, app: Application, org: Organization, revoked: bool
) -> None:
    """Issue 20, item 4: the message a revoke leaves was a <ul role=status>, which is no list
    to assistive technology (axe: listitem, aria-allowed-role). The browser test runs axe on
    the same states; this holds the markup without a browser."""
    oauth.code_flow(member, app)
    client = page_for(member, org)
    chosen = str(app.pk) if revoked else "999999"
    after = client.post(URL, {"application": chosen}, follow=True)
    assert after.status_code == 200
    said = "can no longer access your account." if revoked else "No such application."
    assert said in text(after)
    lists = _Lists()
    lists.feed(after.content.decode())
    assert lists.status_tags == ["div"]
    assert lists.orphan_items == []
