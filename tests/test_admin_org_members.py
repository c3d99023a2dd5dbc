"""An organization's admin (staff, not superuser) manages its memberships on the organization's
change page and sees its domains read-only; another organization's admin gets nothing of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from perscom_oauth.models import Domain, Membership, Organization
from tests.admin_support import CHANGELISTS, admin_client, form_data, org_admin, text
from tests.conftest import make_member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(org: Organization, other_org: Organization, viewer_role: Group) -> dict[str, Any]:
    return {
        "alice": make_member(org, "alice-member", viewer_role),
        "bob": make_member(org, "bob-member"),
        "stranger": make_member(other_org, "bravo-only", viewer_role),
    }


@pytest.fixture
def staff(org: Organization) -> Client:
    return admin_client(org_admin(org, "alpha-admin"))


def change_url(organization: Organization) -> str:
    return f"{CHANGELISTS['organizations']}{organization.pk}/change/"


def test_the_change_page_shows_the_members_and_domains(
    staff: Client, org: Organization, members: dict[str, Any]
) -> None:
    page = staff.get(change_url(org))
    assert page.status_code == 200
    words = text(page)
    for username in ("alice-member", "bob-member", "alpha-admin"):
        assert username in words
    assert "alpha.example.test" in words
    assert "bravo-only" not in words and "bravo.example.test" not in words
    data = form_data(page, "organization_form")
    # Memberships are editable rows; domains are shown, not offered for editing.
    assert data["memberships-INITIAL_FORMS"] == ["3"]
    assert {data[f"memberships-{i}-user"][0] for i in range(3)} == {
        str(pk) for pk in Membership.objects.filter(organization=org).values_list("user", flat=True)
    }
    assert data["domains-INITIAL_FORMS"] == ["1"]
    assert data["domains-MAX_NUM_FORMS"] == ["0"]
    assert "domains-0-hostname" not in data and "domains-0-is_primary" not in data


def test_members_are_added_and_changed_and_domains_are_not(
    staff: Client, org: Organization, members: dict[str, Any], viewer_role: Group
) -> None:
    newcomer = UserFactory(username="newcomer")
    url = change_url(org)
    data = form_data(staff.get(url), "organization_form")
    total = int(data["memberships-TOTAL_FORMS"][0])
    bob = next(i for i in range(total) if data[f"memberships-{i}-user"] == [str(members["bob"].pk)])
    data.update(
        {
            # Bob becomes an administrator with a role; a newcomer joins.
            f"memberships-{bob}-is_admin": ["on"],
            f"memberships-{bob}-roles": [str(viewer_role.pk)],
            "memberships-TOTAL_FORMS": [str(total + 1)],
            f"memberships-{total}-user": [str(newcomer.pk)],
            f"memberships-{total}-organization": [str(org.pk)],
            # Whatever is posted for the domains is ignored.
            "domains-0-hostname": ["evil.example.test"],
        }
    )
    response = staff.post(url, data)
    assert response.status_code == 302, text(response)[:3000]
    assert Membership.objects.filter(user=newcomer, organization=org, is_admin=False).exists()
    bob_membership = Membership.objects.get(user=members["bob"], organization=org)
    assert bob_membership.is_admin
    assert list(bob_membership.roles.all()) == [viewer_role]
    assert Membership.objects.filter(organization=org).count() == 4
    assert list(Domain.objects.filter(organization=org).values_list("hostname", flat=True)) == [
        "alpha.example.test"
    ]


def test_a_member_is_removed(staff: Client, org: Organization, members: dict[str, Any]) -> None:
    url = change_url(org)
    data = form_data(staff.get(url), "organization_form")
    total = int(data["memberships-TOTAL_FORMS"][0])
    alice = next(i for i in range(total) if data[f"memberships-{i}-user"] == [str(members["alice"].pk)])
    data[f"memberships-{alice}-DELETE"] = ["on"]
    assert staff.post(url, data).status_code == 302
    assert not Membership.objects.filter(user=members["alice"], organization=org).exists()
    assert members["alice"].__class__.objects.filter(pk=members["alice"].pk).exists()


def test_another_organizations_admin_gets_no_access(
    org: Organization, other_org: Organization, members: dict[str, Any]
) -> None:
    bravo_staff = admin_client(org_admin(other_org, "bravo-admin"))
    url = change_url(org)
    page = bravo_staff.get(url)
    assert page.status_code == 302 and page["Location"] == "/admin/"  # Alpha "doesn't exist"
    newcomer = UserFactory(username="newcomer")
    data = {
        "name": "Alpha Unit",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": str(newcomer.pk),
        "memberships-0-is_admin": "on",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
    }
    assert bravo_staff.post(url, data).status_code == 302
    assert not Membership.objects.filter(user=newcomer).exists()
    # Their own page lists their organization's members only.
    words = text(bravo_staff.get(change_url(other_org)))
    assert "bravo-only" in words and "bravo.example.test" in words
    assert "alice-member" not in words and "alpha.example.test" not in words


def test_an_admin_of_both_sees_each_organizations_own_rows(
    org: Organization, other_org: Organization, members: dict[str, Any]
) -> None:
    both = org_admin(org, "both-admin")
    Membership.objects.create(user=both, organization=other_org, is_admin=True)
    words = text(admin_client(both).get(change_url(org)))
    assert "alice-member" in words and "bravo-only" not in words
    assert "alpha.example.test" in words and "bravo.example.test" not in words
