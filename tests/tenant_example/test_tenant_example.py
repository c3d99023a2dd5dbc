"""The documentation's complete adapter example (docs/examples/tenants/) runs: tenants with
members, roles and subscriptions of their own, through every flow a host project relies on, and
a change to any of those models reaches a token that is already cached."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from docs.examples.tenants.models import Role, Subscription, Tenant, TenantUser
from perscom_oauth.models import AuditEvent
from tests.factories import SECRET, ApplicationFactory, UserFactory
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db


def tenant(slug: str, product: str = Subscription.Product.ENTERPRISE) -> tuple[Tenant, Any, OAuthClient]:
    obj = Tenant.objects.create(name=slug.title(), slug=slug, hostname=f"{slug}.example.test")
    Subscription.objects.create(tenant=obj, product=product)
    app = ApplicationFactory(organization=obj, client_id=f"{slug}-web")
    return obj, app, OAuthClient(obj.hostname)


def viewers() -> Role:
    role = Role.objects.create(name="Viewers")
    role.permissions.add(Permission.objects.get(codename="view_user"))
    return role


def member(obj: Tenant, role: Role, username: str = "pat") -> Any:
    user = UserFactory(username=username)
    TenantUser.objects.create(tenant=obj, user=user, role=role)
    return user


def token(oauth: OAuthClient, user: Any, app: Any) -> str:
    response = oauth.code_flow(user, app)
    assert response.status_code == 200, response.content
    access_token: str = response.json()["access_token"]
    assert oauth.api(access_token).status_code == 200
    return access_token


def test_a_member_with_a_role_gets_a_token_of_that_role() -> None:
    obj, app, oauth = tenant("acme")
    access_token = token(oauth, member(obj, viewers()), app)
    response = oauth.api(access_token)
    assert response.json() == {"username": "pat"}
    basic = base64.b64encode(f"{app.client_id}:{SECRET}".encode()).decode()
    introspected = oauth.client().post(
        "/oauth/introspect", {"token": access_token}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    # The swapped model's ``slug`` is what introspection names.
    assert introspected.json()["organization"] == "acme" and introspected.json()["scope"] == "view:user"


def test_a_tenant_without_the_product_is_refused_with_the_hosts_own_words() -> None:
    obj, app, oauth = tenant("small", Subscription.Product.TEAM)
    response = oauth.token(grant_type="client_credentials", client_id=app.client_id, client_secret=SECRET)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"
    description = response.json()["error_description"]
    assert "Enterprise" in description and "Team" in description and "Billing" in description
    assert AuditEvent.objects.filter(event=AuditEvent.Event.PLAN_REFUSED, organization_id=obj.pk).exists()


def test_someone_without_a_membership_cannot_authorize() -> None:
    _obj, app, oauth = tenant("acme")
    outsider = UserFactory(username="outsider")
    response = oauth.authorization_request(outsider, "get", client_id=app.client_id, scope="view:user")
    assert response.status_code == 403


def test_a_downgrade_refuses_a_cached_token_at_once() -> None:
    obj, app, oauth = tenant("acme")
    access_token = token(oauth, member(obj, viewers()), app)
    obj.subscription.product = Subscription.Product.TEAM
    obj.subscription.save()  # invalidation.plan_changed
    assert oauth.api(access_token).status_code == 401


def test_a_role_losing_a_permission_narrows_a_cached_token_at_once() -> None:
    obj, app, oauth = tenant("acme")
    role = viewers()
    access_token = token(oauth, member(obj, role), app)
    role.permissions.clear()  # invalidation.role_changed
    assert oauth.api(access_token).status_code == 403


def test_a_removed_member_loses_a_cached_token_at_once() -> None:
    obj, app, oauth = tenant("acme")
    user = member(obj, viewers())
    access_token = token(oauth, user, app)
    TenantUser.objects.get(user=user).delete()  # invalidation.membership_changed
    assert oauth.api(access_token).status_code == 401


def test_a_tenant_that_moves_host_no_longer_answers_at_the_old_one() -> None:
    obj, app, oauth = tenant("acme")
    access_token = token(oauth, member(obj, viewers()), app)
    obj.hostname = "acme.elsewhere.test"
    obj.save()  # invalidation.host_changed
    assert oauth.api(access_token).status_code == 401  # no tenant answers there
    assert OAuthClient("acme.elsewhere.test").api(access_token).status_code == 200


def test_the_system_checks_pass_with_the_example() -> None:
    call_command("check", "--tag", "perscom_oauth")
