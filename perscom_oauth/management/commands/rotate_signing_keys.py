"""Rotate organizations' ID-token signing keys, or re-encrypt every stored key with the first
key-encryption key (``perscom_oauth.signing.rotation``).

Safe to run from cron while the site serves traffic: a new key is published before it signs,
an old one stays published until its tokens have expired. Running it again while a new key
waits to sign changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ...conf import organization_model_label
from ...signing import encryption
from ...signing.rotation import reencrypt_all, rotate


class Command(BaseCommand):
    help = (
        "Start a rotation of the ID-token signing keys of every organization (or of those named with "
        "--organization): a new key is published now and signs after "
        "PERSCOM_OAUTH['SIGNING_KEY_PUBLICATION_SECONDS']; the old one is retired once its tokens have "
        "expired. With --reencrypt: re-encrypt every stored key with the first key-encryption key instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organization",
            action="append",
            default=[],
            metavar="SLUG",
            help="Only this organization (repeatable). Default: every organization.",
        )
        parser.add_argument(
            "--reencrypt",
            action="store_true",
            help="Re-encrypt every stored key with the first of SIGNING_KEY_ENCRYPTION_KEYS (KEK rotation).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not encryption.managed():
            raise CommandError(
                'PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"] is empty: organizations have no signing keys '
                "of their own (the global OIDC_RSA_PRIVATE_KEY signs). See docs/openid-connect.md."
            )
        if encryption.malformed():
            raise CommandError(
                'PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"] holds a value that is no Fernet key (E035).'
            )
        if options["reencrypt"]:
            self.reencrypt()
        else:
            self.rotate(options["organization"])

    def reencrypt(self) -> None:
        changed, failed = reencrypt_all()
        self.stdout.write(f"re-encrypted {changed} signing key(s) with the first key-encryption key")
        if failed:
            raise CommandError(
                f"{len(failed)} key(s) no configured key-encryption key decrypts, left unchanged: "
                f"{', '.join(failed)}. Add the key-encryption key that encrypted them and run again."
            )

    def rotate(self, slugs: list[str]) -> None:
        organizations = apps.get_model(organization_model_label())._default_manager.order_by("pk")
        if slugs:
            organizations = organizations.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - set(organizations.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"No organization with the slug(s): {', '.join(unknown)}.")
        now = timezone.now()
        for organization in organizations:
            done = rotate(organization, now)
            for key in done.created:
                self.stdout.write(
                    f"{organization.slug}: {key.algorithm} key {key.kid} published, "
                    f"signs from {key.active_from.isoformat()}"
                )
            for key in done.superseded:
                self.stdout.write(
                    f"{organization.slug}: {key.algorithm} key {key.kid} signs until "
                    f"{key.superseded_at.isoformat() if key.superseded_at else '-'}, "
                    f"retired at {key.retired_at.isoformat() if key.retired_at else '-'}"
                )
            for key in done.in_progress:
                self.stdout.write(
                    f"{organization.slug}: {key.algorithm} rotation in progress "
                    f"(key {key.kid} signs from {key.active_from.isoformat()}): nothing changed"
                )
            if done.erased:
                self.stdout.write(f"{organization.slug}: erased {done.erased} retired private key(s)")
