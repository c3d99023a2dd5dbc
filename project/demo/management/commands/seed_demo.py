"""Create the demo's organizations, users and applications (idempotent) and print them.

Secrets are derived from SECRET_KEY, so every run prints the same credentials and each one
printed keeps working; they are re-stored on each run in case anything changed them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from perscom_oauth.hashing import checksum
from perscom_oauth.models import (
    Application,
    Domain,
    InitialAccessToken,
    Membership,
    Organization,
    RegistrationPolicy,
)
from perscom_oauth.registration import initial_tokens
from perscom_oauth.scopes.registry import registry
from project.demo.models import Award, Rank

PORT = 8000
CALLBACK = "http://127.0.0.1:8765/callback"
SEEDED_TOKEN_LABEL = "seed_demo: AI agents"
#: Swagger UI's redirect_uri: "oauth2-redirect.html" beside /api/docs, on each demo host.
SWAGGER_CALLBACKS = [f"http://{host}:{PORT}/api/oauth2-redirect.html" for host in ("localhost", "127.0.0.1")]
ORGANIZATIONS = [
    {"slug": "demo", "name": "Demo Unit", "plan": "enterprise", "hosts": ["localhost", "127.0.0.1"]},
    {"slug": "basic", "name": "Basic Unit", "plan": "basic", "hosts": ["basic.localhost"]},
]
USERS = [
    {"username": "alice", "organization": "demo", "role": "all"},
    {"username": "bob", "organization": "demo", "role": "view"},
    {"username": "carol", "organization": "basic", "role": "view"},
]
APPLICATIONS = [
    {"client_id": "demo-web", "name": "Demo Web App", "organization": "demo", "client_type": "confidential"},
    {
        "client_id": "demo-spa",
        "name": "Demo Single-Page App",
        "organization": "demo",
        "client_type": "public",
    },
    {
        "client_id": "basic-web",
        "name": "Basic Web App",
        "organization": "basic",
        "client_type": "confidential",
    },
    {
        "client_id": "demo-swagger",
        "name": "Swagger UI",
        "organization": "demo",
        "client_type": "public",
        "redirect_uris": SWAGGER_CALLBACKS,
    },
    # A TV app signing in with the device flow (RFC 8628): no browser, so no redirect URI.
    {
        "client_id": "demo-tv",
        "name": "Demo TV App",
        "organization": "demo",
        "client_type": "public",
        "grant": Application.GRANT_DEVICE_CODE,
        "redirect_uris": [],
    },
]
#: The grant_type a token request of each kind of application sends.
GRANT_TYPES = {
    Application.GRANT_AUTHORIZATION_CODE: "authorization_code",
    Application.GRANT_DEVICE_CODE: Application.GRANT_DEVICE_CODE,  # the URN, as it is sent
}


RANKS = [("Private", "PVT"), ("Corporal", "CPL"), ("Sergeant", "SGT"), ("Lieutenant", "LT")]
AWARDS = ["Good Conduct Medal", "Army Achievement Medal"]


def demo_secret(purpose: str) -> str:
    return salted_hmac("perscom_oauth.demo", purpose).hexdigest()[:32]


class Command(BaseCommand):
    help = "Create the demo data (idempotent) and print working credentials."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print the data as JSON (stable shape).")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        data = {
            "organizations": [self.seed_organization(spec) for spec in ORGANIZATIONS],
            "users": [self.seed_user(spec) for spec in USERS],
            "applications": [self.seed_application(spec) for spec in APPLICATIONS],
            "registration": self.seed_registration(),
        }
        self.seed_content()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
        else:
            self.print_summary(data)

    def seed_organization(self, spec: dict[str, Any]) -> dict[str, Any]:
        organization, _ = Organization.objects.update_or_create(
            slug=spec["slug"], defaults={"name": spec["name"], "plan": spec["plan"]}
        )
        for index, host in enumerate(spec["hosts"]):
            Domain.objects.update_or_create(
                hostname=host, defaults={"organization": organization, "is_primary": index == 0}
            )
        return {
            "slug": organization.slug,
            "name": organization.name,
            "plan": organization.plan,
            "base_url": f"http://{spec['hosts'][0]}:{PORT}",
        }

    def seed_user(self, spec: dict[str, Any]) -> dict[str, Any]:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=spec["username"])
        password = f"{spec['username']}-{demo_secret('user:' + spec['username'])[:8]}"
        user.set_password(password)
        user.email = f"{spec['username']}@example.com"
        user.is_active = True
        user.is_staff = user.is_superuser = spec["role"] == "all"
        user.save()
        organization = Organization.objects.get(slug=spec["organization"])
        membership, _ = Membership.objects.get_or_create(user=user, organization=organization)
        membership.roles.set([self.role(spec["role"])])
        return {"username": user.username, "password": password, "organization": organization.slug}

    def role(self, kind: str) -> Group:
        """Administrator: every permission that is a scope; Viewer: every view_* one."""
        group, _ = Group.objects.get_or_create(name="Administrator" if kind == "all" else "Viewer")
        scopes = [scope for scope in registry().values() if scope.permission]
        if kind != "all":
            scopes = [scope for scope in scopes if scope.name.startswith("view:")]
        permissions = Permission.objects.none()
        for scope in scopes:
            app_label, codename = (scope.permission or "").split(".")
            permissions |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        group.permissions.set(permissions)
        return group

    def seed_content(self) -> None:
        demo = Organization.objects.get(slug="demo")
        for order, (name, abbreviation) in enumerate(RANKS):
            Rank.objects.update_or_create(
                organization=demo, name=name, defaults={"abbreviation": abbreviation, "order": order}
            )
        for name in AWARDS:
            Award.objects.get_or_create(organization=demo, name=name)

    def seed_registration(self) -> dict[str, Any]:
        """The demo organization lets AI agents in (docs/connecting-ai-agents.md): any https
        client metadata document once an administrator approves it, and Dynamic Client
        Registration with an initial access token (derived from SECRET_KEY like every other
        printed secret: each run re-stores it and renews its thirty days)."""
        demo = Organization.objects.get(slug="demo")
        RegistrationPolicy.objects.update_or_create(
            organization=demo,
            defaults={
                "metadata_documents": RegistrationPolicy.MetadataDocuments.APPROVAL,
                "dynamic_registration": RegistrationPolicy.Registration.INITIAL_TOKEN,
                "allowed_scopes": "openid profile email view:user view:award view:rank",
            },
        )
        token = demo_secret("initial-access-token")
        stored, created = InitialAccessToken.objects.update_or_create(
            organization=demo,
            label=SEEDED_TOKEN_LABEL,
            defaults={
                "token_checksum": checksum(token),
                "expires": timezone.now() + timedelta(days=30),
                "uses_left": None,
            },
        )
        if created:
            initial_tokens.record_issued(stored, None, None)
        return {
            "organization": demo.slug,
            "registration_endpoint": f"http://localhost:{PORT}/oauth/register",
            "initial_access_token": token,
        }

    def seed_application(self, spec: dict[str, Any]) -> dict[str, Any]:
        confidential = spec["client_type"] == Application.CLIENT_CONFIDENTIAL
        secret = demo_secret("client:" + spec["client_id"]) if confidential else ""
        application = Application.objects.filter(client_id=spec["client_id"]).first() or Application(
            client_id=spec["client_id"]
        )
        application.name = spec["name"]
        application.organization = Organization.objects.get(slug=spec["organization"])
        application.client_type = spec["client_type"]
        grant = spec.get("grant", Application.GRANT_AUTHORIZATION_CODE)
        application.authorization_grant_type = grant
        application.redirect_uris = " ".join(spec.get("redirect_uris", [CALLBACK]))
        application.client_secret = secret
        application.hash_client_secret = confidential
        application.allowed_scopes = Application.ALL_SCOPES
        application.algorithm = Application.RS256_ALGORITHM  # ID tokens for `openid`
        application.enabled = True
        application.save()
        return {
            "name": application.name,
            "organization": application.organization.slug,
            "client_id": application.client_id,
            "client_secret": secret or None,
            "client_type": application.client_type,
            "grant_type": GRANT_TYPES[grant],
            "redirect_uris": application.redirect_uris.split(),
            "allowed_scopes": application.allowed_scopes.split(),
        }

    def print_summary(self, data: dict[str, Any]) -> None:
        write = self.stdout.write
        write(self.style.MIGRATE_HEADING("Organizations"))
        for org in data["organizations"]:
            write(f"  {org['slug']:<8} {org['plan']:<11} {org['base_url']}")
        write(self.style.MIGRATE_HEADING("Users (username / password)"))
        for user in data["users"]:
            write(f"  {user['username']:<8} {user['password']:<16} in {user['organization']}")
        write(self.style.MIGRATE_HEADING("Applications"))
        for app in data["applications"]:
            write(f"  {app['name']} ({app['organization']}, {app['client_type']})")
            write(f"    client_id:     {app['client_id']}")
            device = app["grant_type"] == Application.GRANT_DEVICE_CODE
            public = "(none: public client)" if device else "(none: public client, use PKCE)"
            write(f"    client_secret: {app['client_secret'] or public}")
            if device:
                base_url = data["organizations"][0]["base_url"]
                write(f"    device flow:   POST {base_url}/oauth/device_authorization")
                write(f"    enter codes:   {base_url}/oauth/device")
            else:
                write(f"    redirect_uri:  {' '.join(app['redirect_uris'])}")
        registration = data["registration"]
        write(self.style.MIGRATE_HEADING("AI agents (docs/connecting-ai-agents.md)"))
        write("  client ID metadata documents: any https client, once an administrator approves it")
        write(f"  dynamic registration:  POST {registration['registration_endpoint']}")
        write(f"  initial access token:  {registration['initial_access_token']}")
        write("  MCP server:            .venv/bin/python -m project.mcp_server (http://localhost:8001/mcp)")
