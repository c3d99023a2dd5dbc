"""Benchmark the hot paths against vanilla django-oauth-toolkit, in one run.

    .venv/bin/python bench/run.py            # SQLite in memory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/run.py

Both sides run in their own process (each Django settings module needs one), on the same
database engine and the production password hasher (PBKDF2), with in-process requests
(Django's test client: no network, no server). Prints a table and the ratios ours / vanilla.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIDES = {"perscom-oauth": "bench.perscom_settings", "vanilla DOT": "bench.vanilla.settings"}


def measure(settings_module: str) -> dict[str, dict[str, float]]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "measure.py")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    results = {side: measure(module) for side, module in SIDES.items()}
    ours, vanilla = results["perscom-oauth"], results["vanilla DOT"]
    print(f"{'path':<22}{'perscom-oauth':>22}{'vanilla DOT':>22}{'ratio':>9}")
    for path in ours:
        a, b = ours[path], vanilla[path]
        print(
            f"{path:<22}{a['median_us']:>10.0f} us {a['queries']:>3} q{b['median_us']:>12.0f} us "
            f"{b['queries']:>3} q{a['median_us'] / b['median_us']:>8.2f}x"
        )


if __name__ == "__main__":
    main()
