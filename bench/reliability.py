"""Reliability on the production setup (issue 13): several gunicorn processes on PostgreSQL +
Redis, raced, faulted, fuzzed and loaded. One line per check with its figures; exit 1 if any
check failed.

    make reliability                                  # bounded (CI: about 4 minutes)
    .venv/bin/python bench/reliability.py --load-seconds 300 --fuzz 5000 --rounds 10
    make reliability-pgbouncer                        # the servers through PgBouncer (--pgbouncer)

Needs PostgreSQL (``--pg``, default postgres://postgres@127.0.0.1:5432; a database of its own is
created and dropped) and ``redis-server`` (a server of its own on a free port). See
bench/reliability_env.py for what runs, bench/reliability_checks.py for what is checked.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import reliability_checks as checks  # noqa: E402
from bench import reliability_device as device  # noqa: E402
from bench import reliability_signing as signing  # noqa: E402
from bench import reliability_stale as stale  # noqa: E402
from bench.reliability_env import Environment  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="perscom_reliability")
    parser.add_argument(
        "--pgbouncer",
        action="store_true",
        help="the servers reach PostgreSQL through a PgBouncer of their own in transaction mode",
    )
    parser.add_argument("--workers", type=int, default=3, help="sync workers per gunicorn master")
    parser.add_argument("--race", type=int, default=25, help="concurrent requests per race")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per race")
    parser.add_argument(
        "--use-rounds", type=int, default=180, help="rounds of 'revoke while 6 clients use the token'"
    )
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=6, help="concurrent clients of the load")
    parser.add_argument("--fuzz", type=int, default=300, help="hostile requests")
    parser.add_argument("--report", action="store_true", help="write bench/results/reliability.md")
    parser.add_argument("--only", default="", help="comma-separated check names (prefixes)")
    return parser.parse_args()


def generation_seconds() -> float:
    from perscom_oauth.conf import oauth_settings

    return float(oauth_settings.GENERATION_SECONDS)


def strict_refresh(env: Environment, options: argparse.Namespace) -> checks.Result:
    """The refresh race on a server without a grace period: exactly one 200 per round."""
    strict = env.start_server("strict", RELIABILITY_GRACE_SECONDS="0")
    try:
        return checks.race_refresh([strict], options.race, options.rounds, strict=True)
    finally:
        strict.stop()
        env.servers.remove(strict)


def write_report(options: argparse.Namespace, results: list[checks.Result], elapsed: float) -> None:
    import platform
    import subprocess
    from datetime import UTC, datetime

    database = "PostgreSQL through PgBouncer (transaction mode)" if options.pgbouncer else "PostgreSQL"
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    lines = [
        "# Reliability run (bench/reliability.py)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, {platform.machine()},"
        f" {os.cpu_count()} CPUs shared; two gunicorn masters x {options.workers} sync workers,"
        f" {database} + Redis on loopback;"
        f" races of {options.race} x {options.rounds} rounds, load {options.load_seconds:.0f} s with"
        f" {options.clients} clients, {options.fuzz} hostile requests; {elapsed:.0f} s in all.",
        "",
        "```",
        *(r.line() for r in results),
        "```",
        "",
    ]
    (ROOT / "bench" / "results" / "reliability.md").write_text("\n".join(lines))


def main() -> int:
    options = arguments()
    env = Environment(options.pg, options.database, options.workers, options.pgbouncer)
    results: list[checks.Result] = []
    started = time.monotonic()
    try:
        env.prepare()
        checks.setup_clients()
        first, second = env.start_server("a"), env.start_server("b")
        servers = [first, second]
        plan: list[tuple[str, Callable[[], list[checks.Result] | checks.Result]]] = [
            (
                "race-refresh",
                lambda: checks.race_refresh(servers, options.race, options.rounds, strict=False),
            ),
            ("race-refresh-strict", lambda: strict_refresh(env, options)),
            ("race-code", lambda: checks.race_code(servers, options.race, options.rounds)),
            ("race-runserver", lambda: checks.runserver_races(env, options.race, 1)),
            ("race-revoke", lambda: checks.race_revoke(servers, options.rounds * 3)),
            ("one-truth", lambda: checks.one_truth(first, second, env)),
            ("race-use-revoke", lambda: stale.race_use_revoke(servers, options.use_rounds)),
            ("stale-reads", lambda: stale.stale_reads(servers)),
            ("untold-revocation", lambda: stale.untold_revocation(servers, env, generation_seconds())),
            ("fault-redis", lambda: checks.redis_outage(servers, env)),
            ("fault-redis-paused", lambda: checks.redis_paused(servers, env)),
            ("fault-database", lambda: checks.database_outage(servers, env)),
            ("restart", lambda: checks.restart(servers, env)),
            (
                "device",
                lambda: [
                    device.poll_race(servers, options.race, options.rounds),
                    device.poll_flood(servers, options.clients, 10),
                ],
            ),
            ("fuzz", lambda: checks.fuzz(servers, options.fuzz)),
            ("load", lambda: checks.load(servers, options.load_seconds, options.clients)),
            # Last: the KEK rotation leaves the servers (and any started later) on a new KEK.
            ("signing-rotation", lambda: signing.rotation(servers, env, options.clients)),
            ("signing-kek", lambda: signing.kek_rotation(servers, env, options.clients)),
        ]
        results += checks.run_plan(plan, options.only)
        tally = checks.TALLY
        results.append(
            checks.Result("5xx", tally.server_errors == 0, f"requests={tally.sent} 5xx={tally.server_errors}")
        )
        results.append(checks.Result("max latency", True, f"{tally.max_latency * 1000:.0f} ms"))
        for result in results[-2:]:
            print(result.line())
    finally:
        checks.close(env, results)
    elapsed = time.monotonic() - started
    print(f"{'ok' if all(r.ok for r in results) else 'FAILED'} in {elapsed:.0f} s")
    if options.report:
        write_report(options, results, elapsed)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
