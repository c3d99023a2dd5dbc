"""axe-core in a Playwright page: the accessibility check of the browser tests.

axe-core comes from npm, pinned in ``tests/browser/package.json`` + ``package-lock.json`` and
installed by ``.ci/npm.sh`` (``npm ci``): nothing is downloaded while the tests run. Without
it, the browser tests are skipped with a message saying how to install it, except in CI
(``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def require_axe() -> None:
    if AXE.exists():
        return
    reason = f"axe-core is not installed at {AXE}: run `npm ci --prefix tests/browser` (or .ci/npm.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def violations(page: Any) -> list[str]:
    """Every axe-core violation on the page, whatever its impact, one readable line per node."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at {node['target']}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def page_problems(page: Any) -> list[str]:
    """What every page of ours must have beyond axe: a real title, an h1, a main landmark, and
    no sideways scroll (on a phone too)."""
    problems = violations(page)
    facts = page.evaluate(
        """() => ({
            title: document.title.trim(),
            h1: document.querySelectorAll('h1').length,
            main: document.querySelectorAll('main, [role=main]').length,
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        })"""
    )
    if not facts["title"]:
        problems.append("empty <title>")
    if facts["h1"] < 1:
        problems.append("no <h1>")
    if facts["main"] != 1:
        problems.append(f"{facts['main']} main landmarks")
    if facts["overflow"] > 0:
        problems.append(f"scrolls sideways by {facts['overflow']} px")
    return problems
