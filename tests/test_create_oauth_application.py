"""``manage.py create_oauth_application``: the install guide's way to get a client and its secret."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from perscom_oauth.adapter import OrganizationAdapter
from perscom_oauth.models import Application, AuditEvent, Organization
from tests.device import codes
from tests.factories import REDIRECT_URI, DomainFactory, OrganizationFactory
from tests.oauth import OAuthClient, host_of
from tests.signing_support import es256_claims, header


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
    with pytest.raises(CommandError, match="invalid choice: 'token-exchange'"):
        create(
            "--organization", "alpha", "--name", "X", "--grant-type", "token_exchange", "--client-type", "x"
        )


def test_a_device_flow_application(org: Any) -> None:
    """RFC 8628: a public client without redirect URIs, signing in with the device flow."""
    create(
        "--organization", "alpha", "--name", "Alpha TV", "--grant-type", "device_code",
        "--client-type", "public", "--client-id", "alpha-tv", "--scopes", "view:user",
    )  # fmt: skip
    application = Application.objects.get(client_id="alpha-tv")
    assert application.authorization_grant_type == "urn:ietf:params:oauth:grant-type:device_code"
    assert (application.client_type, application.redirect_uris) == ("public", "")
    started = codes(OAuthClient(host_of(org)), "alpha-tv")
    assert started["user_code"] and started["verification_uri"].endswith("/oauth/device")


# --- the adapter decides what a host name means (issue 20, item 12b) ----------------------------


class HostMapAdapter(OrganizationAdapter):
    """A host project's adapter: tenants answer at ``<slug>.tenants.test``, no Domain rows."""

    def organization_for_host(self, hostname: str) -> Any:
        if not hostname.endswith(".tenants.test"):
            return None
        return Organization.objects.filter(slug=hostname.removesuffix(".tenants.test")).first()


class GroupTenantsAdapter(HostMapAdapter):
    """Tenants of a model of the host's own, with no slug (here Django's Group, by name)."""

    def get_organization_model(self) -> Any:
        return Group


@pytest.fixture
def host_map_adapter(settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "ADAPTER": f"{__name__}.HostMapAdapter"}


@pytest.mark.usefixtures("host_map_adapter")
def test_a_host_name_is_resolved_through_the_adapter(org: Any) -> None:
    out, _err = create("--organization", "alpha.tenants.test", "--name", "Web", *WEB)
    assert Application.objects.get(client_id=lines(out)["client_id"]).organization == org


def test_the_default_organization_is_no_match_for_an_unknown_host(org: Any, settings: Any) -> None:
    """DEFAULT_ORGANIZATION answers hosts nobody claims (organization_for_host): a mistyped host
    must not land there."""
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "DEFAULT_ORGANIZATION": "alpha"}
    with pytest.raises(
        CommandError, match=re.escape("No organization has the slug or domain 'typo.example'")
    ):
        create("--organization", "typo.example", "--name", "Web", *WEB)
    assert not Application.objects.exists()


def test_with_tenants_of_its_own_the_error_points_at_the_adapter(db: Any, settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "ADAPTER": f"{__name__}.GroupTenantsAdapter"}
    with pytest.raises(CommandError) as error:
        create("--organization", "nowhere.example", "--name", "Web", *WEB)
    message = str(error.value)
    assert "No group has the host name 'nowhere.example'" in message
    assert "GroupTenantsAdapter.organization_for_host" in message
    assert "Domain" not in message  # no Domain admin to create one in


# --- the ID-token algorithm (OpenID Connect Core §2; RFC 7518 §3.4) -----------------------------

SPA = ["--grant-type", "authorization-code", "--client-type", "public", "--redirect-uri", REDIRECT_URI]


def id_token_of(org: Any, member: Any, client_id: str) -> tuple[OAuthClient, str]:
    """An ID token of the public client ``client_id``, from code + PKCE on ``org``'s host."""
    oauth = OAuthClient(host_of(org))
    application = Application.objects.get(client_id=client_id)
    code, verifier = oauth.pkce_code(member, application, "openid")
    response = oauth.exchange(application, code, code_verifier=verifier, client_secret=None)
    assert response.status_code == 200, response.content
    return oauth, str(response.json()["id_token"])


def test_an_es256_application_signs_with_a_key_of_its_organizations_jwks(org: Any, member: Any) -> None:
    out, _err = create("--organization", "alpha", "--name", "SPA", *SPA, "--id-token-algorithm", "ES256")
    client_id = lines(out)["client_id"]
    assert Application.objects.get(client_id=client_id).algorithm == "ES256"
    oauth, token = id_token_of(org, member, client_id)
    assert es256_claims(oauth, token)["aud"] == client_id


def test_without_the_option_the_application_signs_rs256(org: Any, member: Any) -> None:
    out, _err = create("--organization", "alpha", "--name", "SPA", *SPA)
    _oauth, token = id_token_of(org, member, lines(out)["client_id"])
    assert header(token)["alg"] == "RS256"


def test_es256_without_per_organization_keys_names_the_setting(org: Any, settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    with pytest.raises(CommandError) as error:
        create("--organization", "alpha", "--name", "X", *WEB, "--id-token-algorithm", "ES256")
    refusal = "--id-token-algorithm: ES256 is not offered here (none: this server signs no ID tokens)."
    needs_keys = (
        'ES256 needs per-organization signing keys: set PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"].'
    )
    assert f"{refusal} {needs_keys}" in str(error.value)
    assert not Application.objects.filter(name="X").exists()


def test_only_the_organizations_key_algorithms_are_offered(org: Any) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'HS256'"):
        create("--organization", "alpha", "--name", "X", *WEB, "--id-token-algorithm", "HS256")
