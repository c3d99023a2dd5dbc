"""The demo's switch for PgBouncer in transaction mode, ``DATABASE_POOLER`` (project/settings.py;
docs/deployment.md, "Connection pooling"), read as a deployment's process reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT = "from project import settings; print(settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"


def settings_with(pooler: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_POOLER"}
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:6432/perscom"
    if pooler is not None:
        env["DATABASE_POOLER"] = pooler
    return subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.parametrize(("pooler", "disabled"), [(None, "False"), ("", "False"), ("transaction", "True")])
def test_transaction_pooling_turns_server_side_cursors_off(pooler: str | None, disabled: str) -> None:
    loaded = settings_with(pooler)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == disabled


def test_an_unknown_pooler_is_refused_at_start() -> None:
    loaded = settings_with("session")
    assert loaded.returncode != 0
    assert "DATABASE_POOLER='session' is not known" in loaded.stderr
