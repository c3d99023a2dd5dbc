"""Device grants in the admin: listed per organization, revoked through tokens.revocation.revoke;
and revoking an application or an authorization takes its device codes with it."""

from __future__ import annotations

from typing import Any

import pytest
from oauth2_provider.models import get_device_grant_model

from perscom_oauth.audit import Actor
from perscom_oauth.models import AuditEvent, Organization
from perscom_oauth.tokens.revocation import revoke_application
from tests.admin_support import admin_client, messages_of, org_admin, text
from tests.device import approve, codes, device_app, poll
from tests.oauth import OAuthClient, host_of

pytestmark = pytest.mark.django_db
DeviceGrant = get_device_grant_model()
CHANGELIST = "/admin/oauth2_provider/devicegrant/"


@pytest.fixture
def grants(org: Organization, other_org: Organization, oauth: OAuthClient, member: Any) -> dict[str, Any]:
    alpha_tv, bravo_tv = device_app(org), device_app(other_org, "bravo-tv", name="Bravo TV")
    pending = codes(oauth, alpha_tv.client_id)
    approved = codes(oauth, alpha_tv.client_id)
    approve(oauth, member, approved["user_code"], ["view:user"])
    bravo = codes(OAuthClient(host_of(other_org)), bravo_tv.client_id)
    return {"tv": alpha_tv, "pending": pending, "approved": approved, "bravo": bravo}


def test_staff_see_only_the_organizations_they_administer(grants: dict[str, Any], org: Organization) -> None:
    staff = admin_client(org_admin(org, "alpha-admin"))
    page = staff.get(CHANGELIST)
    assert page.status_code == 200
    shown = {row.user_code for row in page.context["cl"].result_list}
    alpha = {grants[name]["user_code"].replace("-", "") for name in ("pending", "approved")}
    assert shown == alpha
    body = text(page)
    assert grants["pending"]["user_code"] in body and "Alpha TV" in body
    assert grants["pending"]["device_code"] not in body and grants["approved"]["device_code"] not in body
    bravo_row = DeviceGrant.objects.get(client_id="bravo-tv")
    assert staff.get(f"{CHANGELIST}{bravo_row.pk}/change/").status_code in (302, 404)


def test_revoking_a_device_grant_goes_through_revoke(
    grants: dict[str, Any], org: Organization, oauth: OAuthClient, admin: Any
) -> None:
    staff = admin_client(org_admin(org, "alpha-admin"))
    rows = DeviceGrant.objects.filter(client_id=grants["tv"].client_id)
    bravo_row = DeviceGrant.objects.get(client_id="bravo-tv")
    response = staff.post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [*rows.values_list("pk", flat=True), bravo_row.pk]},
        follow=True,
    )
    assert "Revoked 2 device codes" in " ".join(messages_of(response))
    assert DeviceGrant.objects.filter(pk=bravo_row.pk).exists()  # another organization's: untouched
    event = AuditEvent.objects.get(event=AuditEvent.Event.TOKENS_REVOKED)
    assert event.details["device_grants"] == 2 and event.actor_type == Actor.ADMIN
    # The device that was approved gets nothing now.
    answer = poll(oauth, grants["tv"].client_id, grants["approved"]["device_code"])
    assert answer.json()["error"] == "invalid_grant"


def test_an_application_revoked_takes_its_device_codes(grants: dict[str, Any], oauth: OAuthClient) -> None:
    result = revoke_application(grants["tv"], actor_type=Actor.SYSTEM)
    assert result.device_grants == 2
    assert (
        poll(oauth, grants["tv"].client_id, grants["approved"]["device_code"]).json()["error"]
        == "invalid_grant"
    )
    assert DeviceGrant.objects.filter(client_id="bravo-tv").exists()


def test_a_member_revoking_the_app_cancels_an_approved_code(
    grants: dict[str, Any], oauth: OAuthClient, member: Any
) -> None:
    """Approved by mistake, revoked under "Authorized applications" before the device polled."""
    browser = oauth.client()
    browser.force_login(member)
    browser.post("/oauth/authorized-apps", {"application": grants["tv"].pk})
    assert (
        poll(oauth, grants["tv"].client_id, grants["approved"]["device_code"]).json()["error"]
        == "invalid_grant"
    )
    # The pending code was nobody's yet: it stays.
    assert poll(oauth, grants["tv"].client_id, grants["pending"]["device_code"]).json()["error"] == (
        "authorization_pending"
    )


def test_no_add_or_edit_by_hand(grants: dict[str, Any], admin: Any) -> None:
    assert admin.get(f"{CHANGELIST}add/").status_code == 403
    row = DeviceGrant.objects.first()
    page = admin.get(f"{CHANGELIST}{row.pk}/change/")
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()


def test_an_application_enables_the_grant_in_the_admin(admin: Any, org: Organization) -> None:
    from tests.test_admin import ADD_URL, new_application

    page = admin.get(ADD_URL)
    assert "Device (TV, console or command line)" in text(page)
    posted = admin.post(
        ADD_URL,
        new_application(
            org,
            name="Hall TV",
            authorization_grant_type="urn:ietf:params:oauth:grant-type:device_code",
            client_type="public",
        ),
    )
    assert posted.status_code == 302, text(posted)[:3000]
    from perscom_oauth.models import Application

    tv = Application.objects.get(name="Hall TV")
    started = codes(OAuthClient(host_of(org)), tv.client_id)
    assert started["verification_uri"].endswith("/oauth/device")


def test_the_list_does_not_grow_in_queries_with_rows(
    grants: dict[str, Any], oauth: OAuthClient, admin: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert admin.get(CHANGELIST).status_code == 200
        counts.append(len(queries.captured_queries))
        for _ in range(5):
            codes(oauth, grants["tv"].client_id)
    assert counts[0] == counts[1] > 0, counts
