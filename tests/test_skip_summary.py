"""A test run ends with one line saying what it skipped and why (issue 20, item 5): the README's
test command needs only Python, and 26 silent skips read as "all green"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests import conftest
from tests.skip_summary import summary

ROOT = Path(__file__).resolve().parent.parent
AXE = "axe-core is not installed at /x/axe.min.js: run `npm ci --prefix tests/browser` (or .ci/npm.sh)"
RP = "openid-client not installed: run `bash .ci/npm.sh` (needs Node.js and npm)"


def test_the_summary_names_each_cause_and_its_cure() -> None:
    line = summary(
        [AXE] * 3 + [RP] * 2 + ["no Chromium at /usr/bin/chromium", "needs PostgreSQL's row locking"]
    )
    assert line == (
        "skipped 7: 3 browser tests need axe-core from npm (bash .ci/npm.sh); "
        "2 conformance tests need openid-client from npm (bash .ci/npm.sh); "
        "1 browser tests need /usr/bin/chromium (apt-get install chromium); "
        "1 need PostgreSQL (DATABASE_URL)"
    )
    o4w = "oauth4webapi not installed: run `bash .ci/npm.sh` (needs Node.js and npm)"
    assert summary([o4w]) == "skipped 1: 1 conformance tests need oauth4webapi from npm (bash .ci/npm.sh)"
    assert summary(["something else entirely"]) == "skipped 1: 1 something else entirely"
    by_design = ["not plan-gated on purpose: revocation", "not plan-gated on purpose: signing out"]
    assert summary(by_design) == "skipped 2: 2 not plan-gated on purpose"
    assert summary([]) is None


class Reporter:
    def __init__(self, skipped: list[Any]) -> None:
        self.stats = {"skipped": skipped}
        self.lines: list[str] = []

    def write_line(self, line: str, **markup: Any) -> None:
        self.lines.append(line)


def test_the_conftest_hook_prints_it_from_the_skipped_reports() -> None:
    reports = [SimpleNamespace(longrepr=("tests/test_x.py", 3, f"Skipped: {AXE}")) for _ in range(2)]
    reporter = Reporter(reports)
    conftest.pytest_terminal_summary(reporter)
    assert reporter.lines == ["skipped 2: 2 browser tests need axe-core from npm (bash .ci/npm.sh)"]
    quiet = Reporter([])
    conftest.pytest_terminal_summary(quiet)
    assert quiet.lines == []


@pytest.mark.skipif(
    (ROOT / "tests" / "conformance" / "node_modules" / "openid-client").is_dir(),
    reason="the npm packages are installed here: no skip to show",
)
def test_a_run_without_the_npm_packages_says_so_at_the_end() -> None:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    # A test database of its own: on the parent's, the child's set-up would drop the parent's
    # (it does whenever nothing holds a session to it, as behind PgBouncer) and its teardown too.
    env["PERSCOM_TEST_DB_SUFFIX"] = env.get("PERSCOM_TEST_DB_SUFFIX", "") + "_skip_summary"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_conformance.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = result.stdout.strip().splitlines()[-2:]
    assert "conformance tests need openid-client from npm (bash .ci/npm.sh)" in last[0], result.stdout[-2000:]
