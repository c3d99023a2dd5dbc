"""The application form's organization picker when the host's organization model has an admin
of its own (issue 20, item 12a). Django's autocomplete asks the *organization's* admin, which a
host registers for superusers: it answered 403 to an organization's admin, who then could not
create an application at all (and giving them its permission listed every tenant's name)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin as django_admin

from perscom_oauth.models import Application, Organization
from tests.admin_support import admin_client, org_admin
from tests.factories import MembershipFactory, OrganizationFactory
from tests.test_admin import ADD_URL, new_application

pytestmark = pytest.mark.django_db


class HostOrganizationAdmin(django_admin.ModelAdmin):
    """What a host registers for its own tenant model: Django's permissions, every row."""

    search_fields = ["name"]


@pytest.fixture
def host_organization_admin() -> Iterator[None]:
    site = django_admin.site
    ours = site.get_model_admin(Organization)
    site.unregister(Organization)
    site.register(Organization, HostOrganizationAdmin)
    try:
        yield
    finally:
        site.unregister(Organization)
        site._registry[Organization] = ours


@pytest.fixture
def two_organizations_admin(org: Organization) -> tuple[Any, Organization, Organization]:
    second = OrganizationFactory(slug="beta", name="Beta Unit")
    OrganizationFactory(slug="gamma", name="Gamma Secret Unit")  # administered by somebody else
    user = org_admin(org, "two-org-admin")
    MembershipFactory(user=user, organization=second, is_admin=True)
    return user, org, second


def organization_options(html: str) -> set[str]:
    field = re.search(r'<select name="organization"[^>]*>(.*?)</select>', html, flags=re.S)
    assert field, "no organization select"
    return {
        name.strip() for name in re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", field.group(1))
    }


@pytest.mark.usefixtures("host_organization_admin")
def test_an_admin_of_two_organizations_picks_among_them_and_creates(
    two_organizations_admin: tuple[Any, Organization, Organization],
) -> None:
    user, first, second = two_organizations_admin
    client = admin_client(user)
    page = client.get(ADD_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "admin-autocomplete" not in html  # not the host admin's search, which refuses them
    assert organization_options(html) == {first.name, second.name}  # no other tenant's name

    created = client.post(ADD_URL, new_application(second))
    assert created.status_code == 302, created.content.decode()[:2000]
    assert Application.objects.get().organization == second
    refused = client.post(ADD_URL, new_application(Organization.objects.get(slug="gamma"), name="Other"))
    assert refused.status_code == 200  # "Select a valid choice"
    assert Application.objects.count() == 1


@pytest.mark.usefixtures("host_organization_admin")
def test_a_superuser_picks_among_every_organization(admin: Any, org: Organization) -> None:
    OrganizationFactory(slug="beta", name="Beta Unit")
    assert organization_options(admin.get(ADD_URL).content.decode()) == {org.name, "Beta Unit"}


def test_with_our_organization_admin_the_picker_searches_only_administered_ones(
    two_organizations_admin: tuple[Any, Organization, Organization],
) -> None:
    user, first, second = two_organizations_admin
    client = admin_client(user)
    assert "admin-autocomplete" in client.get(ADD_URL).content.decode()
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "perscom_oauth", "model_name": "application", "field_name": "organization", "term": ""},
    )
    assert found.status_code == 200
    assert {row["text"] for row in found.json()["results"]} == {first.name, second.name}
