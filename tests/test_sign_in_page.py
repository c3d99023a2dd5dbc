"""The demo's sign-in page says which organization, and which of its applications, asked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from perscom_oauth.models import Application, Organization
from tests.admin_support import text
from tests.factories import ApplicationFactory
from tests.oauth import host_of

pytestmark = pytest.mark.django_db


def sign_in_page(organization: Organization, client_id: str) -> str:
    authorize = "/oauth/authorize?" + urlencode({"response_type": "code", "client_id": client_id})
    response = Client(HTTP_HOST=host_of(organization)).get("/accounts/login/", {"next": authorize})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    return text(response)


def test_names_the_organization_and_the_app(org: Organization, app: Application) -> None:
    app.name = "Roster Sync"
    app.save()
    words = sign_in_page(org, app.client_id)
    assert "Sign in to Alpha Unit" in words
    assert "Roster Sync asks you to sign in." in words


def test_never_names_another_organizations_app(org: Organization, other_org: Organization) -> None:
    theirs = ApplicationFactory(organization=other_org, name="Bravo Secret Project")
    words = sign_in_page(org, theirs.client_id)
    assert "Sign in to Alpha Unit" in words
    assert "Bravo Secret Project" not in words and "asks you to sign in" not in words


# --- perscom_oauth/login.html, the sign-in page we ship (issue 20, item 6) ----------------------


@pytest.mark.urls("tests.sign_in_urls")
def test_our_sign_in_template_is_no_django_administration_page(org: Organization, app: Application) -> None:
    app.name = "Roster Sync"
    app.save()
    authorize = "/oauth/authorize?" + urlencode({"response_type": "code", "client_id": app.client_id})
    response = Client(HTTP_HOST=host_of(org)).get("/accounts/login/", {"next": authorize})
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "perscom_oauth/login.html"
    page = response.content.decode()
    assert "<title>Sign in</title>" in page and "Django administration" not in page
    assert "perscom_oauth/pages.css" in page and "admin/css" not in page
    words = text(response)
    assert "Sign in to Alpha Unit" in words and "Roster Sync asks you to sign in." in words
    assert 'for="id_username"' in page and 'for="id_password"' in page
    assert f'name="next" value="{authorize}"'.replace("&", "&amp;") in page


@pytest.mark.urls("tests.sign_in_urls")
def test_our_sign_in_template_signs_in_and_says_what_went_wrong(org: Organization, member: Any) -> None:
    client = Client(HTTP_HOST=host_of(org))
    wrong = client.post("/accounts/login/", {"username": "member", "password": "no"})
    assert wrong.status_code == 200
    assert 'role="alert"' in wrong.content.decode()
    assert "Please enter a correct username and password" in text(wrong)
    member.set_password("right-password")
    member.save()
    right = client.post(
        "/accounts/login/",
        {"username": "member", "password": "right-password", "next": "/oauth/authorized-apps"},
    )
    assert right.status_code == 302 and right["Location"] == "/oauth/authorized-apps"
