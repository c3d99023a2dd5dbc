"""Admin details that read wrong to a new user (issue 20, item 11): the audit trail's count,
"Authorizations" on the admin index, the Endpoints panel's place, a public single-page app's
type. (The scope picker's counter is a browser matter: tests/test_admin_browser.py.)"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from perscom_oauth.audit import Actor, Event, record
from perscom_oauth.models import Application, Organization
from tests.admin_support import CHANGELISTS, admin_client, org_admin, text
from tests.factories import ApplicationFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_audit_trail_counts_events(admin: Client, org: Organization) -> None:
    for _ in range(3):
        record(Event.APPLICATION_CREATED, organization=org.pk, actor_type=Actor.ADMIN)
    words = text(admin.get(CHANGELISTS["audit"]))
    assert "3 audit events" in words
    assert "audit trail" not in words.lower().replace("the audit trail", "")


@pytest.mark.parametrize("who", ["superuser", "organization admin"])
def test_authorizations_are_on_the_admin_index(who: str, admin: Client, org: Organization) -> None:
    client = admin if who == "superuser" else admin_client(org_admin(org, "alpha-admin"))
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Authorizations" in text(index)
    entry = "/admin/perscom_oauth/authorization/"
    assert f'href="{entry}"' in index.content.decode()
    opened = client.get(entry)
    assert opened.status_code == 302
    assert opened["Location"] == CHANGELISTS["authorizations"]
    assert client.get(opened["Location"]).status_code == 200
    assert client.get(f"{entry}add/").status_code == 403


def test_a_staff_user_without_an_organization_sees_no_authorizations(org: Organization) -> None:
    client = admin_client(UserFactory(username="nobody", is_staff=True))
    assert "Authorizations" not in text(client.get("/admin/"))
    assert client.get("/admin/perscom_oauth/authorization/").status_code == 403


def test_endpoints_follow_the_credentials_near_the_top(admin: Client, app: Application) -> None:
    html = admin.get(f"/admin/perscom_oauth/application/{app.pk}/change/").content.decode()
    endpoints = html.index('id="endpoints"')
    assert html.index(">Credentials<") < endpoints < html.index(">Redirect URIs<")
    assert html.count('id="endpoints"') == 1


def test_a_public_code_flow_client_is_listed_as_a_single_page_or_native_app(admin: Client) -> None:
    org = OrganizationFactory(slug="gamma")
    ApplicationFactory(organization=org, name="Web Portal")
    ApplicationFactory(
        organization=org, name="Demo SPA", client_type=Application.CLIENT_PUBLIC, client_secret=""
    )
    listed = admin.get(CHANGELISTS["applications"])
    [spa_row] = [row for row in rows_of(listed) if "Demo SPA" in row]
    [web_row] = [row for row in rows_of(listed) if "Web Portal" in row]
    assert "Single Page Web Applications or Native Applications" in spa_row
    assert "Regular Web Application" in web_row
    # The filter agrees with the column.
    spa = text(admin.get(CHANGELISTS["applications"], {"type": Application.GRANT_IMPLICIT}))
    web = text(admin.get(CHANGELISTS["applications"], {"type": Application.GRANT_AUTHORIZATION_CODE}))
    assert "Demo SPA" in spa and "Web Portal" not in spa
    assert "Web Portal" in web and "Demo SPA" not in web
    change = admin.get(
        f"/admin/perscom_oauth/application/{Application.objects.get(name='Demo SPA').pk}/change/"
    )
    assert "Single Page Web Applications or Native Applications" in text(change)


def rows_of(page: Any) -> list[str]:
    """The list's rows, each as its text."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page.content.decode(), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]
