"""Print the scope registry: every scope, what it means, and the permission it is."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...scopes.registry import registry


class Command(BaseCommand):
    help = "List every scope clients may request, with its description and permission."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print a JSON list instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        scopes = sorted(registry().values(), key=lambda scope: (scope.resource, scope.name))
        rows: list[dict[str, str | None]] = [
            {"scope": s.name, "description": str(s.description), "permission": s.permission} for s in scopes
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        width = max((len(scope.name) for scope in scopes), default=5)
        for row in rows:
            permission = row["permission"] or "-"
            self.stdout.write(f"{row['scope']:<{width}}  {row['description']}  [{permission}]")
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} scopes"))
