"""A host project's own tenant model and plan data, plugged in through the adapter."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from perscom_oauth.models import Application
from tests.factories import SECRET, ApplicationFactory, UserFactory
from tests.oauth import OAuthClient

from .models import Tenant


def tenant(subdomain: str, tier: int) -> tuple[Tenant, Application, OAuthClient]:
    """A tenant, an OAuth client of its own, and a driver for its host."""
    obj = Tenant.objects.create(name=subdomain.title(), subdomain=subdomain, tier=tier)
    app = ApplicationFactory(organization=obj, client_id=f"{subdomain}-web")
    return obj, app, OAuthClient(f"{subdomain}.tenants.test")


def bogus_code_exchange(app: Application) -> dict[str, str]:
    """A token request with the client's real credentials and a code that was never issued."""
    return {
        "grant_type": "authorization_code",
        "code": "x",
        "client_id": app.client_id,
        "client_secret": SECRET,
    }


@pytest.mark.django_db
def test_migrations_point_perscom_oauth_at_the_tenant_model() -> None:
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("custom_tenant", "0001_initial") in applied
    assert ("perscom_oauth", "0001_organizations_and_applications") in applied
    tables = connection.introspection.table_names()
    assert "perscom_oauth_organization" not in tables  # swapped out, never created
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Application._meta.db_table)
    targets = {c["foreign_key"] for c in constraints.values() if c["columns"] == ["organization_id"]}
    assert ("custom_tenant_tenant", "id") in targets


@pytest.mark.django_db
def test_tier_3_tenant_completes_the_code_flow() -> None:
    _obj, app, oauth = tenant("alpha", tier=3)
    # No Membership row: the adapter's is_member lets any active user authorize, and its
    # get_permissions reads the user's own Django permissions.
    user = UserFactory(username="someone")
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    response = oauth.code_flow(user, app)
    assert response.status_code == 200, response.content
    response = oauth.api(response.json()["access_token"])
    assert response.status_code == 200, response.content
    assert response.json() == {"username": "someone", "tenant": "alpha"}


@pytest.mark.django_db
def test_introspection_answers_for_a_tenant_model_without_a_slug() -> None:
    """RFC 7662 §2.2 with a swapped organization model that has no ``slug`` (was a 500)."""
    _obj, app, oauth = tenant("gamma", tier=3)
    user = UserFactory(username="introspected")
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    token = oauth.code_flow(user, app).json()["access_token"]
    response = oauth.client().post(
        "/oauth/introspect", {"token": token, "client_id": app.client_id, "client_secret": SECRET}
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is True
    assert response.json()["organization"] is None


@pytest.mark.django_db
def test_tier_1_tenant_is_refused_naming_the_required_tier() -> None:
    _obj, app, oauth = tenant("small", tier=1)
    response = oauth.token(**bogus_code_exchange(app))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "unauthorized_client"
    assert "tier 3" in body["error_description"] and "tier 1" in body["error_description"]


@pytest.mark.django_db
def test_client_of_another_tenant_is_an_unknown_client() -> None:
    _a, app_a, oauth_a = tenant("alpha", tier=3)
    _b, _app_b, oauth_b = tenant("bravo", tier=3)
    # At home the client authenticates and only the bogus code fails.
    assert oauth_a.token(**bogus_code_exchange(app_a)).json()["error"] == "invalid_grant"
    response = oauth_b.token(**bogus_code_exchange(app_a))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.django_db
def test_unknown_host_is_404() -> None:
    tenant("alpha", tier=3)
    for host in ("nobody.tenants.test", "alpha.elsewhere.test"):
        assert OAuthClient(host).token(grant_type="client_credentials").status_code == 404
