"""The admin's list pages run a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, IDToken, RefreshToken, get_grant_model

from perscom_oauth.audit import Actor, Event, record
from perscom_oauth.models import Organization
from tests.admin_support import CHANGELISTS, admin_client, org_admin, superuser
from tests.factories import REDIRECT_URI, ApplicationFactory, MembershipFactory, UserFactory

Grant = get_grant_model()

pytestmark = pytest.mark.django_db


def populate(organization: Organization, count: int, start: int) -> None:
    """``count`` of everything: applications, users, tokens, codes, audit events, memberships."""
    later = timezone.now() + timedelta(hours=1)
    for n in range(start, start + count):
        user = UserFactory(username=f"user-{n}")
        MembershipFactory(user=user, organization=organization)
        application = ApplicationFactory(organization=organization, name=f"App {n}")
        of_user = {"user": user, "application": application}
        id_token = IDToken.objects.create(**of_user, jti=uuid.uuid4(), expires=later, scope="openid")
        access = AccessToken.objects.create(
            **of_user, token=f"access-{n}-{uuid.uuid4()}", expires=later, scope="view:user", id_token=id_token
        )
        RefreshToken.objects.create(**of_user, token=f"refresh-{n}-{uuid.uuid4()}", access_token=access)
        Grant.objects.create(
            **of_user,
            code=f"code-{n}-{uuid.uuid4()}",
            expires=later,
            redirect_uri=REDIRECT_URI,
            scope="view:rank",
        )
        # The user's client was issued a token, in the organization.
        record(
            Event.TOKEN_ISSUED,
            actor=user,
            subject=user,
            application=application,
            organization=organization,
            actor_type=Actor.CLIENT,
        )


def query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("who", ["superuser", "organization admin"])
def test_list_pages_do_not_grow_with_rows(org: Organization, other_org: Organization, who: str) -> None:
    user = superuser() if who == "superuser" else org_admin(org, "alpha-admin")
    client = admin_client(user)
    populate(org, 1, 0)
    populate(other_org, 1, 100)
    pages = {**CHANGELISTS, "application change": None}
    first_app = org.oauth_applications.first()
    pages["application change"] = f"{CHANGELISTS['applications']}{first_app.pk}/change/"
    for url in pages.values():
        client.get(url)  # warm the per-process caches (content types)
    before = {name: query_count(client, url) for name, url in pages.items()}

    populate(org, 9, 1)
    populate(other_org, 9, 101)
    after = {name: query_count(client, url) for name, url in pages.items()}

    assert after == before


def test_authorizations_page_is_paginated(org: Organization, monkeypatch: pytest.MonkeyPatch) -> None:
    client = admin_client(superuser())
    populate(org, 3, 0)
    from perscom_oauth.admin import authorizations

    monkeypatch.setattr(authorizations, "PER_PAGE", 2)
    first = client.get(CHANGELISTS["authorizations"])
    second = client.get(CHANGELISTS["authorizations"], {"p": "2"})
    assert len(first.context["rows"]) == 2 and len(second.context["rows"]) == 1
    assert "3 authorizations" in first.content.decode()
    assert {row.key for row in first.context["rows"]}.isdisjoint(row.key for row in second.context["rows"])


def test_index_lists_the_oauth_models(org: Organization) -> None:
    page = admin_client(org_admin(org, "alpha-admin")).get("/admin/")
    words = page.content.decode()
    for name in (
        "Applications",
        "Authorizations",
        "Access tokens",
        "Refresh tokens",
        "Audit events",
        "Organizations",
    ):
        assert name in words, name
    assert "Users" not in words and "Groups" not in words


def test_application_list_orders_by_active_tokens(
    org: Organization, django_assert_max_num_queries: Any
) -> None:
    client = admin_client(superuser())
    populate(org, 3, 0)
    with django_assert_max_num_queries(12):
        response = client.get(CHANGELISTS["applications"], {"o": "-7"})
    assert response.status_code == 200
