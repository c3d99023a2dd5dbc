"""The servers of bench/reliability.py: the demo as bench/e2e.py serves it, plus the 503 on a
database outage, and a brute-force throttle loose enough for races that are meant to fail
(25 concurrent refreshes of one token are 24 failures from one address by design)."""

import os

from bench.perscom_e2e_settings import *  # noqa: F403

PERSCOM_OAUTH = {**PERSCOM_OAUTH, "THROTTLE_FAILURES": 100_000, "THROTTLE_SOURCE_FAILURES": 100_000}  # noqa: F405

# RELIABILITY_GRACE_SECONDS=0 serves the strict refresh race (every repeat is reuse).
if os.environ.get("RELIABILITY_GRACE_SECONDS"):
    PERSCOM_OAUTH = {
        **PERSCOM_OAUTH,
        "REFRESH_TOKEN_DUPLICATE_SECONDS": int(os.environ["RELIABILITY_GRACE_SECONDS"]),
    }
