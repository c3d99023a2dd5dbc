"""The demo's sign-in page says which organization, and which of its applications, asked."""

from __future__ import annotations

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
