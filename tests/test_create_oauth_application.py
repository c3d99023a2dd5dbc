"""``manage.py create_oauth_application``: the install guide's way to get a client and its secret."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from perscom_oauth.models import Application, AuditEvent
from tests.factories import REDIRECT_URI, DomainFactory, OrganizationFactory
from tests.oauth import OAuthClient, host_of


def create(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_oauth_application", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def lines(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines())


WEB = ["--grant-type", "authorization-code", "--client-type", "confidential", "--redirect-uri", REDIRECT_URI]


def test_the_printed_secret_works_at_the_token_endpoint(org: Any) -> None:
    out, err = create(
        "--organization", "alpha", "--name", "Robot", "--grant-type", "client_credentials",
        "--client-type", "confidential", "--scopes", "view:user", "--print-secret",
    )  # fmt: skip
    printed = lines(out)
    assert set(printed) == {"client_id", "client_secret"}
    assert "shown this once" in err
    application = Application.objects.get(client_id=printed["client_id"])
    assert (application.organization, application.name, application.allowed_scopes) == (
        org,
        "Robot",
        "view:user",
    )
    assert application.client_secret != printed["client_secret"]  # stored hashed
    created = AuditEvent.objects.filter(event=AuditEvent.Event.APPLICATION_CREATED, application=application)
    assert created.exists()

    response = OAuthClient(host_of(org)).token(
        grant_type="client_credentials",
        client_id=printed["client_id"],
        client_secret=printed["client_secret"],
        scope="view:user",
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "view:user"


def test_the_organization_is_found_by_domain_and_the_client_id_may_be_chosen(org: Any) -> None:
    DomainFactory(organization=org, hostname="dashboard.example.test")
    out, _ = create(
        "--organization", "dashboard.example.test", "--name", "Web", *WEB,
        "--redirect-uri", "https://app.example.test/cb", "--client-id", "my-web", "--json", "--print-secret",
    )  # fmt: skip
    printed = json.loads(out)
    assert printed["client_id"] == "my-web"
    assert printed["client_secret"]
    application = Application.objects.get(client_id="my-web")
    assert application.organization == org
    assert application.redirect_uris == f"{REDIRECT_URI} https://app.example.test/cb"
    assert application.allowed_scopes == "*"


def test_without_print_secret_the_secret_is_not_shown(org: Any) -> None:
    out, err = create("--organization", "alpha", "--name", "Web", *WEB)
    assert set(lines(out)) == {"client_id"}
    assert "not printed" in err


def test_a_public_client_has_no_secret(org: Any) -> None:
    out, err = create(
        "--organization", "alpha", "--name", "SPA", "--grant-type", "authorization-code",
        "--client-type", "public", "--redirect-uri", REDIRECT_URI, "--print-secret", "--json",
    )  # fmt: skip
    assert json.loads(out)["client_secret"] is None
    assert "no secret" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organization", "nowhere", "--name", "X", *WEB], "No organization has the slug or domain"),
        (
            ["--organization", "alpha", "--name", "X", "--grant-type", "client-credentials",
             "--client-type", "public"],
            "--client-type: A Machine-to-Machine application must be confidential",
        ),
        (
            ["--organization", "alpha", "--name", "X", "--grant-type", "authorization-code",
             "--client-type", "confidential"],
            "--redirect-uri:",
        ),
        (
            ["--organization", "alpha", "--name", "X", *WEB, "--scopes", "view:user fly:plane"],
            "--scopes: Select a valid choice. fly:plane",
        ),
        (["--organization", "alpha", "--name", "X", *WEB, "--redirect-uri", "not a uri"], "--redirect-uri:"),
        (["--organization", "alpha", "--name", "X", *WEB, "--client-id", "alpha-web"], "--client-id:"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error_and_creates_nothing(
    org: Any, app: Any, args: list[str], message: str
) -> None:
    before = Application.objects.count()
    with pytest.raises(CommandError) as error:
        create(*args)
    assert message in str(error.value)
    assert Application.objects.count() == before


def test_an_organization_without_the_plan_gets_no_application(db: Any) -> None:
    OrganizationFactory(slug="basic", name="Basic Unit", plan="basic")
    with pytest.raises(CommandError) as error:
        create("--organization", "basic", "--name", "X", *WEB)
    refusal = "--organization: OAuth 2.0 requires the Enterprise plan; organization 'Basic Unit'"
    assert refusal in str(error.value)
    assert not Application.objects.filter(name="X").exists()
    assert AuditEvent.objects.filter(event=AuditEvent.Event.PLAN_REFUSED).count() == 1


def test_an_unknown_grant_type_is_refused_by_the_parser(org: Any) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'device-code'"):
        create("--organization", "alpha", "--name", "X", "--grant-type", "device_code", "--client-type", "x")
