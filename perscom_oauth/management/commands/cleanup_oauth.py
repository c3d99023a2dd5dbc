"""Purge dead tokens, codes and old audit entries in batches (see ``perscom_oauth.tokens.purge``).

Safe to run from cron while the site serves traffic: only unusable rows are deleted, in short
transactions of ``--batch-size`` rows, optionally pausing between them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...tokens.purge import purge


class Command(BaseCommand):
    help = (
        "Delete expired and revoked tokens, expired authorization and device codes and audit events older "
        "than PERSCOM_OAUTH['AUDIT_RETENTION_DAYS'], in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per transaction (1000).")
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="Seconds to sleep between batches (0), to spare the database.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["pause"] < 0:
            raise CommandError("--pause cannot be negative.")
        counts = purge(batch_size=options["batch_size"], pause=options["pause"], dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        for name, count in counts.items():
            self.stdout.write(f"{name}: {verb} {count}")
