"""Reliability on replicated infrastructure (issue 25): bench/reliability.py's checks against
two gunicorn masters whose cache is Redis behind Sentinel (a primary, two replicas, three
Sentinels, all on loopback), plus the failures that topology adds. One line per check with its
figures; exit 1 if any check failed.

    make reliability-distributed                         # CI: about 4 minutes
    .venv/bin/python bench/reliability_distributed.py --crash-rounds 50

- ``sentinel-revoke-crash``: a hot token (cached by every worker) is revoked, and the Redis
  primary is crashed (SIGKILL) within 50 ms of the revocation's answer, before it could
  replicate the invalidation or not; once a replica is promoted no worker of either master may
  honour the token.
- ``sentinel-failover-load``: clients keep using hot tokens through a crash of the primary and
  the promotion: no 5xx, every valid token answered; wrong client secrets sent meanwhile are
  refused with 401 (the throttle, whose counters are in Redis, fails open: no 429, no 500).
- ``cluster``: two more gunicorn masters on a 3-master Redis Cluster (the 16 shards of
  perscom_oauth/cache/shards.py spread over its nodes): the cross-process, use-vs-revoke and
  stale-read checks and a short load, on that cache.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import reliability_checks as checks  # noqa: E402
from bench import reliability_stale as stale  # noqa: E402
from bench.reliability_checks import TALLY, Result, pair, revoke  # noqa: E402
from bench.reliability_env import Environment, Server, free_port  # noqa: E402
from bench.topology import SERVICE, SentinelTopology  # noqa: E402


class SentinelEnvironment(Environment):
    """bench/reliability_env.py's environment with Redis behind Sentinel instead of one Redis."""

    def __init__(self, pg: str, database: str, workers: int) -> None:
        super().__init__(pg, database, workers)
        self.topology = SentinelTopology(self.tmp / "redis", [free_port() for _ in range(6)])

    def sentinels(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.topology.sentinel_ports)

    def server_env(self) -> dict[str, str]:
        return {**super().server_env(), "RELIABILITY_REDIS_SENTINELS": self.sentinels()}

    def prepare(self) -> None:
        import os

        (self.tmp / "redis").mkdir()
        self.topology.start()
        os.environ["RELIABILITY_REDIS_SENTINELS"] = self.sentinels()  # this process's cache too
        super().prepare()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.topology.stop()


def every_worker(servers: list[Server], token: str) -> Counter[int]:
    return stale.every_worker(servers, token, each=8)


def revoke_then_crash(servers: list[Server], env: SentinelEnvironment, rounds: int) -> Result:
    problems: list[str] = []
    gaps: list[float] = []
    seconds: list[float] = []
    honoured = 0
    for round_ in range(rounds):
        token = pair(servers[0])["access_token"]
        warm = every_worker(servers, token)
        primary = env.topology.await_replica()
        status = revoke(servers[round_ % len(servers)], token)
        answered = time.monotonic()
        old = env.topology.crash_primary(primary)
        gaps.append(env.topology.crashed_at - answered)
        during = every_worker(servers, token)
        deadline = time.monotonic() + 30
        while not env.topology.promoted(old) and time.monotonic() < deadline:
            during += every_worker(servers, token)
        seconds.append(time.monotonic() - answered)
        if not env.topology.promoted(old):
            problems.append(f"round {round_}: no promotion within 30 s")
            break
        env.topology.restart(old)
        after = every_worker(servers, token)
        honoured += bool(during[200] or after[200])
        if warm != Counter({200: sum(warm.values())}) or status != 200 or during[200] or after[200]:
            answers = f"warm {dict(warm)}, revoke {status}, during {dict(during)}, after {dict(after)}"
            problems.append(f"round {round_}: {answers}")
    return Result(
        "sentinel: revoke, crash within 50 ms",
        not problems and max(gaps) < 0.05,
        f"rounds={rounds} crash-after<={max(gaps) * 1000:.0f}ms"
        f" failover={min(seconds):.1f}-{max(seconds):.1f}s honoured-after={honoured}",
        problems,
    )


def failover_under_load(servers: list[Server], env: SentinelEnvironment, clients: int) -> Result:
    tokens = [pair(servers[0])["access_token"] for _ in range(clients)]
    for token in tokens:
        every_worker(servers, token)
    answers: Counter[int] = Counter()
    wrong_secrets: Counter[int] = Counter()
    stop = threading.Event()
    lock = threading.Lock()

    def use(index: int) -> None:
        server, token = servers[index % len(servers)], tokens[index]
        while not stop.is_set():
            status = TALLY.call(server, "GET", "/api/me", token=token)[0]
            with lock:
                answers[status] += 1

    def guess() -> None:
        form = {"grant_type": "client_credentials", "client_id": "bench-m2m", "client_secret": "wrong"}
        while not stop.is_set():
            status = TALLY.call(servers[0], "POST", "/oauth/token", form)[0]
            with lock:
                wrong_secrets[status] += 1
            time.sleep(0.02)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(clients)]
    threads.append(threading.Thread(target=guess))
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        primary = env.topology.await_replica()
        crashed = time.monotonic()
        old = env.topology.crash_primary(primary)
        deadline = time.monotonic() + 30
        while not env.topology.promoted(old) and time.monotonic() < deadline:
            time.sleep(0.05)
        failover = time.monotonic() - crashed
        promoted = env.topology.promoted(old)
        time.sleep(1)  # and a second on the new primary
        if promoted:
            env.topology.restart(old)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    ok = promoted and set(answers) == {200} and set(wrong_secrets) == {401}
    return Result(
        "sentinel: failover under load",
        ok,
        f"clients={clients} failover={failover:.1f}s answers={dict(answers)}"
        f" wrong-secrets={dict(wrong_secrets)} (401: the throttle fails open)",
        [] if ok else [f"answers {dict(answers)}, wrong secrets {dict(wrong_secrets)}"],
    )


def on_a_cluster(env: SentinelEnvironment, options: argparse.Namespace) -> list[Result]:
    """The cache checks again, on two masters whose cache is a Redis Cluster."""
    import os

    from django.test import override_settings

    from tests.redis_cluster_support import redis_cluster

    folder = env.tmp / "cluster"
    folder.mkdir()
    with redis_cluster(folder) as cluster:
        nodes = ",".join(f"127.0.0.1:{port}" for port in cluster.ports)
        servers = [env.start_server(name, RELIABILITY_REDIS_CLUSTER=nodes) for name in ("c1", "c2")]
        os.environ["RELIABILITY_REDIS_CLUSTER"] = nodes
        try:
            with override_settings(CACHES=cluster.caches()):  # this process's changes, too
                results = [
                    checks.one_truth(servers[0], servers[1], env),
                    stale.race_use_revoke(servers, options.use_rounds),
                    stale.stale_reads(servers),
                    *checks.load(servers, options.load_seconds, options.clients),
                ]
            # The servers' entries are on the cluster, spread over its nodes by shard.
            keys = [redis.Redis(port=port).dbsize() for port in cluster.ports]
            results.append(Result("keys per node", all(keys), f"{keys}"))
        finally:
            del os.environ["RELIABILITY_REDIS_CLUSTER"]
            for server in servers:
                server.stop()
                env.servers.remove(server)
    return [Result(f"cluster: {r.name}", r.ok, r.figures, r.problems) for r in results]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="perscom_reliability_distributed")
    parser.add_argument("--workers", type=int, default=3, help="sync workers per gunicorn master")
    parser.add_argument("--race", type=int, default=25, help="concurrent requests per race")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per race")
    parser.add_argument("--crash-rounds", type=int, default=20, help="rounds of 'revoke, then crash Redis'")
    parser.add_argument("--use-rounds", type=int, default=30, help="rounds of 'revoke while clients use it'")
    parser.add_argument("--load-seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=6, help="concurrent clients of the load")
    parser.add_argument("--fuzz", type=int, default=100, help="hostile requests")
    parser.add_argument("--only", default="", help="comma-separated check names (prefixes)")
    return parser.parse_args()


def main() -> int:
    options = arguments()
    env = SentinelEnvironment(options.pg, options.database, options.workers)
    results: list[Result] = []
    started = time.monotonic()
    try:
        env.prepare()
        checks.setup_clients()
        servers = [env.start_server("a"), env.start_server("b")]
        print(
            f"topology: Redis primary + 2 replicas + 3 Sentinels ({SERVICE}), 2 gunicorn masters;"
            " then a 3-master Redis Cluster, 2 more masters",
            flush=True,
        )
        plan: list[tuple[str, Callable[[], list[Result] | Result]]] = [
            (
                "race-refresh",
                lambda: checks.race_refresh(servers, options.race, options.rounds, strict=False),
            ),
            ("race-code", lambda: checks.race_code(servers, options.race, options.rounds)),
            ("race-revoke", lambda: checks.race_revoke(servers, options.rounds * 3)),
            ("one-truth", lambda: checks.one_truth(servers[0], servers[1], env)),
            ("race-use-revoke", lambda: stale.race_use_revoke(servers, options.use_rounds)),
            ("stale-reads", lambda: stale.stale_reads(servers)),
            ("sentinel-revoke-crash", lambda: revoke_then_crash(servers, env, options.crash_rounds)),
            ("sentinel-failover-load", lambda: failover_under_load(servers, env, options.clients)),
            ("fuzz", lambda: checks.fuzz(servers, options.fuzz)),
            ("load", lambda: checks.load(servers, options.load_seconds, options.clients)),
            ("cluster", lambda: on_a_cluster(env, options)),
        ]
        results += checks.run_plan(plan, options.only)
        tally = TALLY
        results.append(
            Result("5xx", tally.server_errors == 0, f"requests={tally.sent} 5xx={tally.server_errors}")
        )
        print(results[-1].line())
    finally:
        checks.close(env, results)
    elapsed = time.monotonic() - started
    print(f"{'ok' if all(r.ok for r in results) else 'FAILED'} in {elapsed:.0f} s")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
