"""Create an OAuth client for an organization from the command line (install scripts, CI).

The admin's application form reads the options (scopes, redirect URIs) and runs the model's
rules, ``Application.clean()`` (client type against grant type, redirect URIs, the
organization's plan, the ID-token algorithm), so the two accept exactly the same applications;
``applications.create_application`` checks them again and saves the application, audited, with a
server-generated secret that is printed once with ``--print-secret`` and stored hashed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.datastructures import MultiValueDict

from ...adapter import get_adapter
from ...admin.forms import APPLICATION_TYPES, ApplicationForm
from ...applications import create_application
from ...conf import DEFAULT_ORGANIZATION_MODEL
from ...models import ORGANIZATION_KEY_ALGORITHMS, Application
from ...scopes.registry import ALL_SCOPES

if TYPE_CHECKING:
    from django.db.models import Model

    from ...typing import Organization

#: The form's field for each option, to name the option the user typed in an error.
OPTION_OF_FIELD = {
    "name": "--name",
    "organization": "--organization",
    "authorization_grant_type": "--grant-type",
    "client_type": "--client-type",
    "redirect_uris": "--redirect-uri",
    "allowed_scopes": "--scopes",
    "description": "--description",
    "skip_authorization": "--trusted",
    "client_id": "--client-id",
    "algorithm": "--id-token-algorithm",
    NON_FIELD_ERRORS: "application",
}


def grant_type_option(value: str) -> str:
    """``--grant-type`` as typed: hyphens or underscores; ``device-code`` for the URN the
    device flow's applications are stored with (RFC 8628)."""
    grant = value.replace("_", "-")
    return Application.GRANT_DEVICE_CODE if grant == "device-code" else grant


class Command(BaseCommand):
    help = (
        "Create an OAuth 2.0 application (client) of an organization and print its client ID; "
        "with --print-secret, also its secret, which is shown this once and stored hashed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organization",
            required=True,
            help="The organization's slug, or a host name at which it answers "
            "(a Domain's, or as your adapter maps host names).",
        )
        parser.add_argument("--name", required=True, help="The application's name, shown on consent.")
        parser.add_argument(
            "--grant-type",
            required=True,
            choices=[grant for grant, _label in APPLICATION_TYPES],
            type=grant_type_option,
            help="authorization-code (Regular Web Application), implicit (Single Page or Native), "
            "client-credentials (Machine-to-Machine), password (Resource Owner), "
            "device-code (Device: TV, console or command line; RFC 8628).",
        )
        parser.add_argument(
            "--client-type",
            required=True,
            choices=[Application.CLIENT_CONFIDENTIAL, Application.CLIENT_PUBLIC],
            help="confidential (gets a secret) or public (none; must use PKCE).",
        )
        parser.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            help="A redirect URI; repeat the option for several.",
        )
        parser.add_argument(
            "--scopes",
            default=ALL_SCOPES,
            help=f'Space-separated scopes it may request (default "{ALL_SCOPES}": all, even later ones).',
        )
        parser.add_argument("--description", default="", help="Shown on the consent screen.")
        parser.add_argument(
            "--client-id", default="", help="A client ID of your choice (default: a random one)."
        )
        parser.add_argument(
            "--trusted", action="store_true", help="First-party: users are not asked to consent."
        )
        parser.add_argument(
            "--id-token-algorithm",
            choices=ORGANIZATION_KEY_ALGORITHMS,
            help="How its OpenID Connect ID tokens are signed: RS256 (the default) or ES256 (ECDSA "
            'P-256; needs per-organization signing keys: PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"]).',
        )
        parser.add_argument(
            "--print-secret",
            action="store_true",
            help="Print the client secret (a confidential client's only chance to read it).",
        )
        parser.add_argument("--json", action="store_true", help="Print a JSON object instead of lines.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = self.find_organization(options["organization"])
        form = ApplicationForm(
            data=MultiValueDict(
                {
                    "name": [options["name"]],
                    "organization": [str(organization.pk)],
                    "authorization_grant_type": [options["grant_type"]],
                    "client_type": [options["client_type"]],
                    "redirect_uris": ["\n".join(options["redirect_uris"])],
                    "allowed_scopes": options["scopes"].split(),
                    "description": [options["description"]],
                    # Empty: the server's default (RS256 once it signs ID tokens: Application.save()).
                    "algorithm": [options["id_token_algorithm"] or ""],
                    **({"skip_authorization": ["on"]} if options["trusted"] else {}),
                }
            )
        )
        if not form.is_valid():
            raise CommandError(self.describe_errors(form))
        application = form.save(commit=False)
        if options["client_id"]:
            application.client_id = options["client_id"]
            self.refuse_taken_client_id(application)
        try:
            secret = create_application(application)
        except ValidationError as error:  # (the form ran the same rules: only a race gets here)
            raise CommandError(describe(error.message_dict)) from None
        self.report(application, secret, options)

    def find_organization(self, value: str) -> Organization:
        """By slug (when the organization model has one), else by host name as the endpoints
        find it: the adapter's ``organization_for_host``, so that a host's own tenants are found
        however its adapter maps host names (not only through our ``Domain`` table)."""
        adapter = get_adapter()
        model = adapter.get_organization_model()
        slugged = has_field(model, "slug")
        organization = model._default_manager.filter(slug=value).first() if slugged else None
        if organization is None:
            organization = adapter.organization_for_host(value.lower().rstrip("."))
            if organization is not None and organization == adapter.default_organization():
                # DEFAULT_ORGANIZATION answers every host no organization claims: a typo
                # would land there. It is named by its slug, or by a host that names it.
                organization = adapter.organization_for_domain(value)
        if organization is None:
            raise CommandError(not_found(value, model, slugged))
        return organization

    def refuse_taken_client_id(self, application: Application) -> None:
        if Application.objects.filter(client_id=application.client_id).exists():
            client_id = application.client_id
            raise CommandError(f"--client-id: an application with client ID {client_id!r} exists.")

    def describe_errors(self, form: ApplicationForm) -> str:
        return describe(form.errors)

    def report(self, application: Application, secret: str | None, options: dict[str, Any]) -> None:
        shown = secret if options["print_secret"] else None
        if options["json"]:
            printed = {
                "client_id": application.client_id,
                "client_secret": shown,
                "organization": str(application.organization),
                "client_type": application.client_type,
                "grant_type": application.authorization_grant_type,
            }
            self.stdout.write(json.dumps(printed))
        else:
            self.stdout.write(f"client_id: {application.client_id}")
            if shown:
                self.stdout.write(f"client_secret: {shown}")
        # Notes go to stderr, so that stdout stays what a script parses.
        if shown:
            self.stderr.write("The secret is shown this once and stored hashed: keep it now.")
        elif secret:
            self.stderr.write(
                "The secret was not printed (no --print-secret) and cannot be read again: rotate it "
                "in the admin to get a new one."
            )
        else:
            self.stderr.write("A public client has no secret: it must use PKCE.")


def describe(errors: Mapping[str, Iterable[object]]) -> str:
    lines = ["The application was not created:"]
    for field, messages in errors.items():
        option = OPTION_OF_FIELD.get(field, field)
        lines.extend(f"  {option}: {message}" for message in messages)
    return "\n".join(lines)


def not_found(value: str, model: type[Model], slugged: bool) -> str:
    """The error for an unknown ``--organization``, in the words of this project's set-up."""
    if model._meta.label == DEFAULT_ORGANIZATION_MODEL:
        return (
            f"No organization has the slug or domain {value!r}. Create it (and a Domain for its "
            "dashboard's host name) in the admin first."
        )
    by = "slug or host name" if slugged else "host name"
    return (
        f"No {model._meta.verbose_name} has the {by} {value!r}. Pass "
        f"{'its slug or ' if slugged else ''}a host name at which it answers: your adapter "
        f"({type(get_adapter()).__name__}.organization_for_host) decides which host names those are."
    )


def has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())
