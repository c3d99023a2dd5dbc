"""Organization-scoped staff: a staff user who administers Alpha sees and changes only Alpha's
objects, whatever admin URL they try (list, change, delete, history, action, autocomplete,
custom pages), and cannot escalate (plan, domains, other organizations, superuser)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken, get_grant_model

from perscom_oauth.models import Application, AuditEvent, Domain, Membership, Organization
from tests.admin_support import CHANGELISTS, admin_client, events, form_data, org_admin, text
from tests.conftest import make_member
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth import OAuthClient

Grant = get_grant_model()

pytestmark = pytest.mark.django_db


@dataclass
class World:
    alpha_app: Application
    bravo_app: Application
    alpha_token: str
    bravo_token: str
    bravo_oauth: OAuthClient
    bravo_user: Any


@pytest.fixture
def world(
    org: Organization, other_org: Organization, oauth: OAuthClient, member: Any, admin_role: Any
) -> World:
    alpha_app = ApplicationFactory(organization=org, name="Alpha App", client_id="alpha-web")
    bravo_app = ApplicationFactory(organization=other_org, name="Bravo App", client_id="bravo-web")
    bravo_user = make_member(other_org, "bravo-member", admin_role)
    bravo_oauth = OAuthClient("bravo.example.test")
    alpha_token = oauth.code_flow(member, alpha_app).json()["access_token"]
    bravo_token = bravo_oauth.code_flow(bravo_user, bravo_app).json()["access_token"]
    oauth.authorize(member, alpha_app)
    bravo_oauth.authorize(bravo_user, bravo_app)
    return World(alpha_app, bravo_app, alpha_token, bravo_token, bravo_oauth, bravo_user)


@pytest.fixture
def staff(org: Organization) -> Client:
    return admin_client(org_admin(org, "alpha-admin"))


def bravo_objects(world: World) -> dict[str, Any]:
    """One object of Bravo per admin, by change-list URL."""
    return {
        CHANGELISTS["applications"]: world.bravo_app,
        CHANGELISTS["access tokens"]: AccessToken.objects.get(application=world.bravo_app),
        CHANGELISTS["refresh tokens"]: RefreshToken.objects.get(application=world.bravo_app),
        CHANGELISTS["codes"]: Grant.objects.get(application=world.bravo_app),
        CHANGELISTS["audit"]: AuditEvent.objects.filter(organization=world.bravo_app.organization).first(),
        CHANGELISTS["organizations"]: world.bravo_app.organization,
    }


def test_every_list_shows_alpha_and_nothing_of_bravo(staff: Client, world: World) -> None:
    for name, url in CHANGELISTS.items():
        if name == "id tokens":
            continue
        page = staff.get(url)
        assert page.status_code == 200, url
        words = text(page).lower()
        assert "bravo" not in words, url
        assert "alpha" in words, url


def test_change_delete_and_history_of_bravo_objects_are_not_found(staff: Client, world: World) -> None:
    for url, obj in bravo_objects(world).items():
        for page in ("change", "delete", "history"):
            response = staff.get(f"{url}{obj.pk}/{page}/")
            # An object outside the queryset "doesn't exist" (a redirect to the index); the
            # credential lists refuse any deletion before looking.
            assert response.status_code in (302, 403), (url, page)
            assert response.status_code == 403 or response["Location"] == "/admin/"
            assert "Bravo" not in response.content.decode()
        assert staff.post(f"{url}{obj.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
    assert Application.objects.filter(pk=world.bravo_app.pk).exists()
    assert world.bravo_oauth.api(world.bravo_token).status_code == 200


def test_changing_a_bravo_application_by_post_changes_nothing(staff: Client, world: World) -> None:
    url = f"{CHANGELISTS['applications']}{world.bravo_app.pk}/change/"
    staff.post(url, {"name": "Taken over", "allowed_scopes": ["*"], "redirect_uris": "https://evil.test/cb"})
    world.bravo_app.refresh_from_db()
    assert world.bravo_app.name == "Bravo App"


def test_actions_on_bravo_objects_do_nothing(staff: Client, world: World) -> None:
    before = AuditEvent.objects.count()
    for url, action, obj in (
        (CHANGELISTS["applications"], "suspend", world.bravo_app),
        (CHANGELISTS["applications"], "revoke_all_tokens", world.bravo_app),
        (CHANGELISTS["applications"], "rotate_secret", world.bravo_app),
        (
            CHANGELISTS["access tokens"],
            "revoke_selected",
            AccessToken.objects.get(application=world.bravo_app),
        ),
        (
            CHANGELISTS["refresh tokens"],
            "revoke_selected",
            RefreshToken.objects.get(application=world.bravo_app),
        ),
        (CHANGELISTS["codes"], "revoke_selected", Grant.objects.get(application=world.bravo_app)),
    ):
        staff.post(url, {"action": action, "_selected_action": [str(obj.pk)], "index": "0"})
    world.bravo_app.refresh_from_db()
    assert world.bravo_app.enabled
    assert world.bravo_oauth.api(world.bravo_token).status_code == 200
    assert Grant.objects.filter(application=world.bravo_app).exists()
    assert AuditEvent.objects.count() == before


def test_custom_pages_refuse_bravo_applications(staff: Client, world: World) -> None:
    base = f"{CHANGELISTS['applications']}{world.bravo_app.pk}"
    assert staff.get(f"{base}/rotate-secret/").status_code == 404
    assert staff.post(f"{base}/rotate-secret/").status_code == 404
    assert staff.post(f"{base}/run/suspend/").status_code == 404
    key = f"{world.bravo_app.pk}:{world.bravo_user.pk}"
    staff.post(CHANGELISTS["authorizations"], {"revoke": key})
    staff.post(CHANGELISTS["authorizations"], {"selected": [key]})
    world.bravo_app.refresh_from_db()
    assert world.bravo_app.enabled
    assert world.bravo_oauth.api(world.bravo_token).status_code == 200
    assert not events(AuditEvent.Event.SECRET_ROTATED)


def test_alpha_objects_are_managed_as_usual(staff: Client, world: World, oauth: OAuthClient) -> None:
    url = CHANGELISTS["applications"]
    assert staff.get(f"{url}{world.alpha_app.pk}/change/").status_code == 200
    staff.post(f"{url}{world.alpha_app.pk}/run/suspend/")
    world.alpha_app.refresh_from_db()
    assert not world.alpha_app.enabled
    [suspended] = events(AuditEvent.Event.APPLICATION_SUSPENDED)
    assert suspended.actor.username == "alpha-admin"


def autocomplete(client: Client, model_name: str, field_name: str, app_label: str = "perscom_oauth") -> Any:
    return client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""},
    )


def test_autocomplete_offers_only_alpha(staff: Client, world: World) -> None:
    organizations = autocomplete(staff, "application", "organization")
    assert [item["text"] for item in json.loads(organizations.content)["results"]] == ["Alpha Unit"]
    applications = autocomplete(staff, "auditevent", "application")
    assert [item["text"] for item in json.loads(applications.content)["results"]] == ["Alpha App"]
    tokens = autocomplete(staff, "accesstoken", "application", app_label="oauth2_provider")
    assert "Bravo" not in tokens.content.decode()
    # Users are not theirs to browse.
    assert autocomplete(staff, "membership", "user").status_code == 403


def test_add_form_offers_only_alpha_and_refuses_bravo(staff: Client, world: World) -> None:
    url = f"{CHANGELISTS['applications']}add/"
    page = staff.get(url)
    assert "Bravo" not in page.content.decode()
    data = {
        "name": "Sneaky",
        "organization": str(world.bravo_app.organization_id),
        "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "allowed_scopes": ["*"],
        "algorithm": "",
    }
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Application.objects.filter(name="Sneaky").exists()


def test_own_organization_without_plan_powers(staff: Client, org: Organization, world: World) -> None:
    url = f"{CHANGELISTS['organizations']}{org.pk}/change/"
    page = staff.get(url)
    assert page.status_code == 200
    data = form_data(page, "organization_form")
    assert "plan" not in data and "slug" not in data  # read-only
    data.update({"name": ["Alpha Renamed"], "plan": ["basic"], "slug": ["taken"]})
    data.update({"domains-TOTAL_FORMS": ["2"], "domains-0-hostname": ["evil.example.test"]})
    response = staff.post(url, data)
    assert response.status_code == 302, text(response)[:3000]
    org.refresh_from_db()
    assert (org.name, org.plan, org.slug) == ("Alpha Renamed", "enterprise", "alpha")
    assert not Domain.objects.filter(hostname="evil.example.test").exists()
    assert staff.get(f"{CHANGELISTS['organizations']}add/").status_code == 403
    assert staff.post(f"{CHANGELISTS['organizations']}{org.pk}/delete/", {"post": "yes"}).status_code == 403


def test_own_members_can_be_managed(staff: Client, org: Organization, world: World) -> None:
    newcomer = UserFactory(username="newcomer")
    url = f"{CHANGELISTS['organizations']}{org.pk}/change/"
    data = form_data(staff.get(url), "organization_form")
    total = int(data["memberships-TOTAL_FORMS"][0])
    data.update(
        {
            "memberships-TOTAL_FORMS": [str(total + 1)],
            f"memberships-{total}-user": [str(newcomer.pk)],
            f"memberships-{total}-is_admin": ["on"],
            f"memberships-{total}-organization": [str(org.pk)],
        }
    )
    assert staff.post(url, data).status_code == 302
    assert Membership.objects.get(user=newcomer).organization == org


def test_no_escalation_through_the_user_admin(staff: Client, org: Organization) -> None:
    admin_user = Membership.objects.get(is_admin=True).user
    assert staff.get("/admin/auth/user/").status_code == 403
    response = staff.post(f"/admin/auth/user/{admin_user.pk}/change/", {"is_superuser": "on"})
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser


def test_staff_administering_nothing_sees_nothing(world: World) -> None:
    client = admin_client(UserFactory(username="plain-staff", is_staff=True))
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Applications" not in text(index)
    for url in CHANGELISTS.values():
        assert client.get(url).status_code == 403, url


def test_an_organization_admin_must_be_staff(org: Organization, world: World) -> None:
    user = UserFactory(username="not-staff")
    Membership.objects.create(user=user, organization=org, is_admin=True)
    response = admin_client(user).get(CHANGELISTS["applications"])
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_admin_of_two_organizations_sees_both(
    org: Organization, other_org: Organization, world: World
) -> None:
    user = org_admin(org, "both-admin")
    Membership.objects.create(user=user, organization=other_org, is_admin=True)
    words = text(admin_client(user).get(CHANGELISTS["applications"]))
    assert "Alpha App" in words and "Bravo App" in words


def test_organizations_filter_lists_only_alpha(staff: Client, world: World) -> None:
    page = staff.get(CHANGELISTS["access tokens"])
    assert "Bravo" not in page.content.decode()
    # Asking for Bravo by filter parameter finds nothing.
    bravo = staff.get(
        CHANGELISTS["applications"], {"organization__id__exact": world.bravo_app.organization_id}
    )
    assert "Bravo App" not in text(bravo)


def test_no_membership_of_bravo_can_be_made(staff: Client, org: Organization, world: World) -> None:
    bravo = world.bravo_app.organization
    me = Membership.objects.get(organization=org, is_admin=True).user
    data = {
        "name": "Bravo Unit",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": str(me.pk),
        "memberships-0-is_admin": "on",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
    }
    response = staff.post(f"{CHANGELISTS['organizations']}{bravo.pk}/change/", data)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert not Membership.objects.filter(user=me, organization=bravo).exists()
    # Nor through their own organization's form: the inline belongs to the organization edited.
    url = f"{CHANGELISTS['organizations']}{org.pk}/change/"
    form = form_data(staff.get(url), "organization_form")
    total = int(form["memberships-TOTAL_FORMS"][0])
    form.update(
        {
            "memberships-TOTAL_FORMS": [str(total + 1)],
            f"memberships-{total}-user": [str(world.bravo_user.pk)],
            f"memberships-{total}-organization": [str(bravo.pk)],
            f"memberships-{total}-is_admin": ["on"],
        }
    )
    staff.post(url, form)
    assert not Membership.objects.filter(user=world.bravo_user, organization=bravo, is_admin=True).exists()
