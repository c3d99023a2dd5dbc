"""One line at the end of a test run saying what was skipped and what would run it.

The README's test command needs only Python; the browser tests also need Chromium and the
axe-core npm package, the conformance tests openid-client and oauth4webapi. Without them those
tests skip, and this line (printed by ``pytest_terminal_summary`` in tests/conftest.py) says so
instead of leaving "26 skipped" to guess at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

#: A skip reason's words -> what to say about it. First match wins; anything else is quoted.
KNOWN = [
    (("axe-core",), "browser tests need axe-core from npm (bash .ci/npm.sh)"),
    (("openid-client",), "conformance tests need openid-client from npm (bash .ci/npm.sh)"),
    (("oauth4webapi",), "conformance tests need oauth4webapi from npm (bash .ci/npm.sh)"),
    (("chromium", "playwright"), "browser tests need /usr/bin/chromium (apt-get install chromium)"),
    (("redis-server",), "need redis-server"),
    (("pgbouncer",), "need pgbouncer (apt-get install pgbouncer)"),
    (("postgresql",), "need PostgreSQL (DATABASE_URL)"),
]


def reason_of(report: Any) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ").strip()


def label(reason: str) -> str:
    lowered = reason.lower()
    for words, said in KNOWN:
        if any(word in lowered for word in words):
            return said
    # A skip by design ("not plan-gated on purpose: <why>"): its first clause, so that the
    # tests skipped for one reason are counted together and the line stays short.
    return reason.split(": ", 1)[0][:60]


def summary(reasons: Iterable[str]) -> str | None:
    """``skipped 26: 20 need ...; 6 browser tests need ...``, or None when nothing was skipped."""
    counts = Counter(label(reason) for reason in reasons)
    if not counts:
        return None
    parts = [f"{count} {said}" for said, count in counts.most_common()]
    return f"skipped {sum(counts.values())}: " + "; ".join(parts)
