"""The admin pages issue 20 changed, in Chromium at 1400x900 and 390x844, with axe: the index
(Authorizations, audit events), the applications list (demo-spa's type), the add form with
"All scopes" ticked (the counter), the one-time secret page and its reload, a change page (the
Endpoints right after the credentials), the audit events. Screenshots: artifacts/screenshots/
``admin-<page>-desktop.png``, ``-phone.png`` and their ``-dark`` twins (the secret masked)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin as django_admin

from perscom_oauth.models import Application, Organization
from tests.axe import require_axe, violations
from tests.chromium import TIMEOUT_MS, chromium_context, screenshot
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.test_admin_browser import admin_login, demo  # noqa: F401  (the fixture)
from tests.test_admin_org_picker import HostOrganizationAdmin

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = {"width": 1400, "height": 900}, {"width": 390, "height": 844}
#: Browser context options by screenshot suffix: both sizes, light and dark (Django's admin
#: follows prefers-color-scheme).
SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE},
    "desktop-dark": {"viewport": DESKTOP, "color_scheme": "dark"},
    "phone-dark": {"viewport": PHONE, "color_scheme": "dark"},
}


def shot(page: Any, name: str, size: str) -> None:
    assert violations(page) == [], name
    screenshot(page, f"admin-{name}-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_pages_issue_20_changed(demo: dict[str, Any], size: str) -> None:  # noqa: F811
    require_axe()
    base = demo["base"]
    spa = Application.objects.get(client_id="demo-spa")
    before = Application.objects.count()
    with chromium_context(**SIZES[size]) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        admin_login(page, base, "alice", demo["password"]["alice"])
        assert page.get_by_role("link", name="Authorizations").count() == 1
        shot(page, "index", size)

        page.goto(f"{base}/admin/perscom_oauth/application/")
        row = page.locator("tr", has_text="demo-spa")
        assert "Single Page Web Applications or Native Applications" in row.inner_text()
        shot(page, "applications", size)

        page.goto(f"{base}/admin/perscom_oauth/application/add/")
        page.fill("#id_name", f"Nightly export {size}")
        page.locator(".field-organization .select2-selection").click()
        page.locator(".select2-search__field").fill("Demo")
        page.locator(".select2-results__option", has_text="Demo Unit").click()
        page.get_by_label("Machine-to-Machine").check()
        picker = page.locator("[data-scope-picker]")
        picker.locator("[data-all-scopes]").check()
        counter = picker.locator("[data-scope-count]").inner_text()
        chosen, _of, total, *_rest = counter.split()
        assert chosen == total, counter
        picker.scroll_into_view_if_needed()
        shot(page, "application-add-all-scopes", size)
        page.locator("input[name=_save]").click()

        page.locator("#client-secret").wait_for(state="attached")
        secret = page.locator("#client-secret").input_value()
        secret_url = page.url
        assert secret_url.endswith("/secret/")
        page.evaluate("document.getElementById('client-secret-text').textContent = '•'.repeat(128)")
        shot(page, "application-secret-once", size)
        page.reload()  # the page a user reloads: no secret, no second application
        page.wait_for_url("**/change/")
        assert secret not in page.content()
        assert "shown only once" in page.locator(".messagelist").inner_text()
        shot(page, "application-secret-reloaded", size)

        page.goto(f"{base}/admin/perscom_oauth/application/{spa.pk}/change/")
        endpoints = page.locator("#endpoints").bounding_box()
        redirects = page.get_by_role("heading", name="Redirect URIs").bounding_box()
        assert endpoints["y"] < redirects["y"]
        shot(page, "application-change", size)

        page.goto(f"{base}/admin/perscom_oauth/auditevent/")
        assert "audit event" in page.locator("#changelist-form .paginator").inner_text()
        shot(page, "audit-events", size)

        page.goto(f"{base}/admin/perscom_oauth/authorization/")
        page.wait_for_url("**/application/authorizations/")
        shot(page, "authorizations", size)

    assert Application.objects.count() == before + 1


@pytest.mark.parametrize("size", list(SIZES))
def test_the_organization_picker_with_a_hosts_own_organization_admin(
    demo: dict[str, Any],  # noqa: F811
    size: str,
) -> None:
    """Item 12a: an administrator of two organizations, the organization model's admin being
    the host's own: a plain choice of their two organizations, and the application is created."""
    require_axe()
    base = demo["base"]
    user = UserFactory(username="two-orgs", is_staff=True)
    user.set_password("two-orgs-password")
    user.save()
    for slug in ("demo", "basic"):
        MembershipFactory(user=user, organization=Organization.objects.get(slug=slug), is_admin=True)
    OrganizationFactory(slug="elsewhere", name="Someone Else's Unit")
    site = django_admin.site
    ours = site.get_model_admin(Organization)
    site.unregister(Organization)
    site.register(Organization, HostOrganizationAdmin)
    try:
        with chromium_context(**SIZES[size]) as context:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            admin_login(page, base, "two-orgs", "two-orgs-password")
            page.goto(f"{base}/admin/perscom_oauth/application/add/")
            options = page.locator("#id_organization option").all_inner_texts()
            assert sorted(options[1:]) == ["Basic Unit", "Demo Unit"], options
            page.fill("#id_name", f"Two orgs {size}")
            page.select_option("#id_organization", label="Demo Unit")
            page.get_by_label("Machine-to-Machine").check()
            page.locator("[data-all-scopes]").check()
            shot(page, "application-add-own-organization-admin", size)
            page.locator("input[name=_save]").click()
            page.locator("#client-secret").wait_for(state="attached")
    finally:
        site.unregister(Organization)
        site._registry[Organization] = ours
    assert Application.objects.get(name=f"Two orgs {size}").organization.slug == "demo"
