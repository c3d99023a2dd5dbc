"""The alternative host set-ups, each in its own pytest process with its own settings module.

A settings module (and so the app registry, swappable models and migrations) is fixed per
process, so these suites cannot run inside the main one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("settings_module", "directory"),
    [
        ("tests.host_install.settings", "tests/host_install"),
        ("tests.custom_tenant.settings", "tests/custom_tenant"),
        # The adapter example that ships with the docs (docs/examples/tenants/).
        ("tests.tenant_example.settings", "tests/tenant_example"),
    ],
)
def test_host_setup_suite_passes(settings_module: str, directory: str) -> None:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--ds={settings_module}",
        directory,
    ]
    # The parent's environment carries DATABASE_URL/REDIS_URL over to the child.
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=600
    )
    output = result.stdout + result.stderr
    tail = "\n".join(output.splitlines()[-60:])
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{tail}"
    assert re.search(r"\b[1-9]\d* passed\b", output), f"no test passed:\n{tail}"
