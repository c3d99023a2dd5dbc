"""Keeps the suites that run side by side (tests/test_host_setups.py, pytest-xdist's workers)
off each other's data."""

from __future__ import annotations

import os
import re
from typing import Any


def separate_test_storage(databases: dict[str, Any], caches: dict[str, Any], name: str) -> None:
    """Give a settings module its own test database (server databases only) and cache prefix."""
    if "sqlite" not in databases["default"]["ENGINE"]:
        # SQLite test databases are in memory already; a TEST NAME would put one on disk.
        # PERSCOM_TEST_DB_SUFFIX keeps two runs on one server apart (two checkouts, say).
        suffix = os.environ.get("PERSCOM_TEST_DB_SUFFIX", "")
        databases["default"]["TEST"] = {"NAME": f"test_perscom_{name}{suffix}"}
    caches["default"]["KEY_PREFIX"] = f"perscom-test-{name}-{os.getpid()}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... under pytest -n
    location = caches["default"].get("LOCATION")
    if worker and isinstance(location, str) and location.startswith("redis"):
        # Each test empties the cache (FLUSHDB, tests/conftest.py): a Redis database per worker
        # keeps one worker's test from emptying another's mid-test. pytest-django gives each
        # worker its own test database already.
        database = 1 + int(worker.removeprefix("gw"))
        caches["default"]["LOCATION"] = re.sub(r"(/\d*)?$", f"/{database}", location.rstrip("/"), count=1)
