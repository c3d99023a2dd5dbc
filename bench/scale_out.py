"""Throughput that scales out (issue 25, item 6): hot-token API requests on two gunicorn masters
x 2 sync workers, first with one Redis, then with a 3-master Redis Cluster, in the same run.
Reports requests per second per worker, the ratio cluster / single Redis, and the p99 latency
of the load (wrk --latency, 4 connections per master).

    make bench-scale-out                              # 60 s per setup
    .venv/bin/python bench/scale_out.py --seconds 20

Needs PostgreSQL (a database of its own, as bench/reliability.py), redis-server and redis-cli,
and wrk (installed with apt-get if missing, as bench/e2e.py does). Writes
bench/results/scale-out.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import reliability_checks as checks  # noqa: E402
from bench.e2e import ensure_wrk  # noqa: E402
from bench.reliability_env import HOST, Environment, Server  # noqa: E402

WORKERS = 2  # per master


def wrk_run(wrk: str, server: Server, token: str, seconds: float, out: dict[str, str]) -> None:
    command = [wrk, "-t2", "-c4", f"-d{seconds:g}s", "--timeout", "10s", "--latency"]
    command += ["-H", f"Host: {HOST}", "-H", f"Authorization: Bearer {token}"]
    command.append(f"http://127.0.0.1:{server.port}/api/me")
    out[server.name] = subprocess.run(command, capture_output=True, text=True, check=True).stdout


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(wrk: str, servers: list[Server], seconds: float) -> dict[str, float]:
    """Both masters loaded at once, each with its own hot token."""
    tokens = [checks.pair(server)["access_token"] for server in servers]
    for server, token in zip(servers, tokens, strict=True):
        for _ in range(8):  # hot on every worker
            assert checks.api_me(server, token) == 200
    outputs: dict[str, str] = {}
    threads = [
        threading.Thread(target=wrk_run, args=(wrk, server, token, seconds, outputs))
        for server, token in zip(servers, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate, p99 = 0.0, 0.0
    for name, output in outputs.items():
        if "Non-2xx" in output:
            raise RuntimeError(f"{name}: non-2xx answers under load:\n{output}")
        rate += float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
        p99 = max(p99, milliseconds(re.search(r"99%\s+(\S+)", output)[1]))  # type: ignore[index]
    return {"per_worker": rate / (WORKERS * len(servers)), "total": rate, "p99_ms": p99}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seconds", type=float, default=60.0, help="load per setup")
    options = parser.parse_args()
    wrk = ensure_wrk()
    if wrk is None:
        print("scale-out: wrk is not installed and apt-get could not install it")
        return 1
    env = Environment(options.pg, "perscom_scale_out", WORKERS)
    results: dict[str, dict[str, float]] = {}
    try:
        env.prepare()
        checks.setup_clients()
        single = [env.start_server("r1"), env.start_server("r2")]
        results["one Redis"] = measure(wrk, single, options.seconds)
        for server in single:
            server.stop()
        from tests.redis_cluster_support import redis_cluster

        folder = env.tmp / "cluster"
        folder.mkdir()
        with redis_cluster(folder) as cluster:
            nodes = ",".join(f"127.0.0.1:{port}" for port in cluster.ports)
            sharded = [env.start_server(name, RELIABILITY_REDIS_CLUSTER=nodes) for name in ("c1", "c2")]
            results["Redis Cluster (3 masters)"] = measure(wrk, sharded, options.seconds)
            for server in sharded:
                server.stop()
    finally:
        env.close()
    base = results["one Redis"]["per_worker"]
    lines = [
        "# Scale-out: hot-token requests, 2 gunicorn masters x 2 sync workers (bench/scale_out.py)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; {options.seconds:g} s of wrk -t2 -c4"
        " against each master at once, per setup; /api/me with a hot token (no SQL).",
        "",
        "| cache | req/s per worker | req/s in all | ratio to one Redis | p99 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, figures in results.items():
        lines.append(
            f"| {name} | {figures['per_worker']:.0f} | {figures['total']:.0f} |"
            f" {figures['per_worker'] / base:.2f} | {figures['p99_ms']:.1f} ms |"
        )
    report = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results" / "scale-out.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
