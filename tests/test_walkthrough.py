"""The README's walk-through, run as written (``python -m project.walkthrough``) against a live
demo server: ``manage.py runserver`` on its own SQLite database, seeded by the walk-through's
own ``seed_demo --json``. A README answer the demo does not give fails here."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

pytestmark = [
    pytest.mark.live,
    # The walk-through's commands call .venv/bin/python, as a reader's copy does.
    pytest.mark.skipif(not VENV_PYTHON.exists(), reason="the README's .venv is not there"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    database = tmp_path_factory.mktemp("walkthrough") / "demo.sqlite3"
    env = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["DATABASE_URL"] = f"sqlite:///{database}"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://localhost:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, env
    finally:
        server.terminate()
        server.wait(timeout=10)


def walkthrough(base: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "project.walkthrough",
            "--base-url",
            base,
            "--redirect-port",
            str(free_port()),
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readme_walkthrough_runs_as_written_against_the_demo(demo: tuple[str, dict[str, str]]) -> None:
    result = walkthrough(*demo)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(
        r"walk-through: (\d+) commands, (\d+) shown outputs checked, 0 failures", result.stdout
    )
    assert summary, result.stdout
    assert int(summary[1]) >= 20 and int(summary[2]) >= 10
    # Every variable a later command uses is set by a command the reader copies.
    assert "CODE=$(.venv/bin/python -m project.walkthrough catch-code" in result.stdout


def test_an_answer_the_demo_does_not_give_fails_the_walkthrough(
    demo: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    wrong = tmp_path / "README.md"
    wrong.write_text(
        "## Walk-through\n\n```sh\n"
        "curl -s http://localhost:8000/oauth/token -H 'Host: basic.localhost' -d grant_type=password\n"
        '# {"error": "invalid_client"}\n'
        "curl -si http://localhost:8000/api/me\n"
        '# WWW-Authenticate: Bearer realm="api",error="invalid_request"\n'
        "```\n"
    )
    result = walkthrough(*demo, "--readme", str(wrong), "--sign-in", "nobody:unused")
    assert result.returncode == 1, result.stdout
    assert result.stdout.count("FAIL") == 2, result.stdout
    assert "unauthorized_client" in result.stdout  # what the demo answered instead
    assert "walk-through: 2 commands, 2 shown outputs checked, 2 failures" in result.stdout
