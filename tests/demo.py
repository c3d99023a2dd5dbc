"""The demo's data, as ``seed_demo --json`` prints it (the contract scripts rely on)."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management import call_command


def seed_demo() -> dict[str, Any]:
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())
