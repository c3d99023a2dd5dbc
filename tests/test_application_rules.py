"""An application's rules live in the model (issue 19, point 1 and L5): every creation path goes
through ``Application.clean()``, and the token endpoint refuses a public client the grants
meant for confidential ones even when such a row was stored anyway (RFC 6749 §4.4)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from perscom_oauth.applications import create_application
from perscom_oauth.models import Application, AuditEvent, Organization
from tests.admin_support import text
from tests.factories import REDIRECT_URI, OrganizationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = pytest.mark.django_db

M2M, PASSWORD = Application.GRANT_CLIENT_CREDENTIALS, Application.GRANT_PASSWORD
CODE, IMPLICIT = Application.GRANT_AUTHORIZATION_CODE, Application.GRANT_IMPLICIT
PUBLIC, CONFIDENTIAL = Application.CLIENT_PUBLIC, Application.CLIENT_CONFIDENTIAL


def new(organization: Organization, grant_type: str, client_type: str, **fields: Any) -> Application:
    return Application(
        organization=organization,
        name="New",
        authorization_grant_type=grant_type,
        client_type=client_type,
        redirect_uris=REDIRECT_URI if grant_type in (CODE, IMPLICIT) else "",
        **fields,
    )


@pytest.mark.parametrize(
    ("grant_type", "client_type", "field", "message"),
    [
        (M2M, PUBLIC, "client_type", "A Machine-to-Machine application must be confidential"),
        (PASSWORD, PUBLIC, "client_type", "A Resource Owner application must be confidential"),
        (IMPLICIT, CONFIDENTIAL, "client_type", "are public: they cannot keep a secret"),
    ],
)
def test_the_domain_function_refuses_what_the_admin_refuses(
    org: Organization, grant_type: str, client_type: str, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        create_application(new(org, grant_type, client_type))
    assert message in " ".join(refused.value.message_dict[field])
    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.APPLICATION_CREATED).exists()


def test_the_domain_function_refuses_an_organization_without_the_plan(db: Any) -> None:
    basic = OrganizationFactory(slug="basic", name="Basic Unit", plan=Organization.Plan.BASIC)
    with pytest.raises(ValidationError) as refused:
        create_application(new(basic, M2M, CONFIDENTIAL))
    assert "requires the Enterprise plan" in " ".join(refused.value.message_dict["organization"])
    assert not Application.objects.exists()


def test_the_domain_function_still_creates_valid_applications(org: Organization) -> None:
    assert create_application(new(org, M2M, CONFIDENTIAL))
    assert create_application(new(org, CODE, PUBLIC)) is None
    assert Application.objects.count() == 2


@pytest.mark.parametrize("field", ["logo_uri", "client_uri", "policy_uri", "tos_uri"])
@pytest.mark.parametrize(
    "url", ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>", "ftp://x.test/"]
)
def test_consent_screen_links_are_web_urls_only(org: Organization, field: str, url: str) -> None:
    """L5: only http and https, whichever path creates the application."""
    with pytest.raises(ValidationError) as refused:
        create_application(new(org, CODE, CONFIDENTIAL, **{field: url}))
    assert field in refused.value.message_dict
    assert create_application(new(org, CODE, CONFIDENTIAL, **{field: "https://ok.example.test/x"}))


def test_the_command_refuses_a_public_resource_owner_application(org: Organization) -> None:
    with pytest.raises(
        CommandError, match="--client-type: A Resource Owner application must be confidential"
    ):
        call_command(
            "create_oauth_application",
            *("--organization", "alpha", "--name", "X", "--grant-type", "password"),
            *("--client-type", "public"),
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert not Application.objects.exists()


def test_the_admin_refuses_a_javascript_logo(admin: Client, org: Organization) -> None:
    data = {
        "name": "Web",
        "organization": str(org.pk),
        "authorization_grant_type": CODE,
        "client_type": CONFIDENTIAL,
        "redirect_uris": REDIRECT_URI,
        "allowed_scopes": ["view:user"],
        "logo_uri": "javascript:alert(1)",
        "policy_uri": "ftp://files.example.test/policy",
        "_save": "Save",
    }
    response = admin.post("/admin/perscom_oauth/application/add/", data)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) >= {"logo_uri", "policy_uri"}
    assert not Application.objects.exists()


def test_editing_a_stored_row_that_breaks_a_rule_is_an_error_not_a_500(
    admin: Client, org: Organization
) -> None:
    """The client type is fixed after creation (not a field of the change form): the model's
    error on it is shown above the form."""
    stored = Application.objects.create(
        organization=org, name="Old", client_id="old-m2m", authorization_grant_type=M2M, client_type=PUBLIC
    )
    url = f"/admin/perscom_oauth/application/{stored.pk}/change/"
    data = {"name": "Renamed", "redirect_uris": "", "allowed_scopes": ["view:user"], "_save": "Save"}
    response = admin.post(url, data)
    assert response.status_code == 200
    assert "A Machine-to-Machine application must be confidential" in text(response)
    stored.refresh_from_db()
    assert stored.name == "Old"


@pytest.fixture
def stored_public(org: Organization) -> list[Application]:
    """Public clients of confidential-only grants, written through the ORM (no clean()), as
    rows from before the rule or from any path that skips it: their secret is stored as ""."""
    rows = [
        Application.objects.create(
            organization=org, name=name, client_id=name, authorization_grant_type=grant, client_type=PUBLIC
        )
        for name, grant in (("public-m2m", M2M), ("public-ropc", PASSWORD))
    ]
    assert [row.client_secret for row in rows] == ["", ""]
    return rows


@pytest.mark.parametrize("secret", [None, ""])
def test_a_stored_public_machine_client_gets_no_token(
    oauth: OAuthClient, stored_public: list[Application], secret: str | None
) -> None:
    data = {"grant_type": "client_credentials", "client_id": "public-m2m", "scope": "view:user"}
    if secret is not None:
        data["client_secret"] = secret
    response = oauth.client().post("/oauth/token", data)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    basic = oauth.client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth("public-m2m", ""),
    )
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"


def test_a_stored_public_resource_owner_client_gets_no_token(
    oauth: OAuthClient, stored_public: list[Application], member: Any
) -> None:
    member.set_password("pw")
    member.save()
    response = oauth.token(
        grant_type="password", client_id="public-ropc", username="member", password="pw", scope="view:user"
    )
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
