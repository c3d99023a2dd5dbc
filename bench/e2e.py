"""End-to-end HTTP benchmark: perscom-oauth's demo against vanilla django-oauth-toolkit, in one run.

    make bench               # SQLite (a fresh file database per side)
    make bench-production    # PostgreSQL + Redis (databases bench_perscom_e2e / bench_vanilla_e2e,
                             # Redis databases 5 / 6; all recreated or flushed on each run)
    .venv/bin/python bench/e2e.py [--production] [--duration 5] [--runs 5] [--requests 20]

Both sides are served by gunicorn (1 sync worker, DEBUG off, 127.0.0.1 on a free port) on the
same database engine with Django's default (PBKDF2) password hasher, and loaded by the same tool:
wrk (-t2 -c4), installed with apt-get if missing, else a small Python load generator (the output
says which ran). Measured: protected-endpoint throughput against an AllowAny view on the same
server (bench/open_view.py), token-endpoint latency per grant over HTTP, SQL statements per flow
(in-process, bench/e2e_side.py) and the worker's RSS after the load. Writes the table to stdout
and bench/results/latest-<sqlite|postgres>.md, the raw numbers to latest-<...>.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RESULTS = ROOT / "bench" / "results"
OURS, VANILLA = "perscom-oauth", "vanilla DOT"
GRANT_LABELS = {
    "client_credentials": "client_credentials",
    "authorization_code": "authorization-code exchange (PKCE)",
    "refresh_token": "refresh_token (rotating)",
}
WARM_UP_REQUESTS = 2  # warm-up requests per grant before the N timed ones


@dataclass
class Side:
    name: str
    settings: str
    token_path: str
    host: str  # Host header: perscom-oauth answers by host (the seeded "demo" organization)
    targets: dict[str, str]  # label -> path loaded with wrk
    env: dict[str, str] = field(default_factory=dict)
    setup: dict[str, Any] = field(default_factory=dict)
    server: subprocess.Popen[bytes] | None = None
    port: int = 0


def sides() -> list[Side]:
    return [
        Side(
            OURS,
            "bench.perscom_e2e_settings",
            "/oauth/token",
            "localhost",
            {"me": "/api/me", "users": "/api/users/", "open": "/bench/open", "open-me": "/bench/open-me"},
        ),
        Side(
            VANILLA,
            "bench.vanilla.e2e_settings",
            "/o/token/",
            "127.0.0.1",
            {"me": "/api/me", "open": "/bench/open", "open-me": "/bench/open-me"},
        ),
    ]


def side_env(side: Side) -> dict[str, str]:
    """This script's environment without any database or cache of its own, plus the side's."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG")}
    return {**base, **side.env, "DJANGO_SETTINGS_MODULE": side.settings}


def run(side: Side, *args: str) -> str:
    env = side_env(side)
    done = subprocess.run([PY, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{side.name}: {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare_databases(all_sides: list[Side], production: bool, tmp: Path, pg: str, redis: str) -> None:
    for number, side in enumerate(all_sides):
        if production:
            import psycopg
            import redis as redis_client

            name = f"bench_{'perscom' if side.name == OURS else 'vanilla'}_e2e"
            with psycopg.connect(f"{pg}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                admin.execute(f"CREATE DATABASE {name}")
            side.env["DATABASE_URL"] = f"{pg}/{name}"
            side.env["REDIS_URL"] = f"{redis}/{5 + number}"
            redis_client.Redis.from_url(side.env["REDIS_URL"]).flushdb()
        else:
            side.env["DATABASE_URL"] = f"sqlite:///{tmp / side.settings}.sqlite3"
        run(side, "manage.py", "migrate", "-v0")
        if side.name == OURS:
            run(side, "manage.py", "seed_demo", "--json")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(side: Side, tmp: Path) -> None:
    side.port = free_port()
    log = tmp / f"{side.settings}.log"
    command = [PY, "-m", "gunicorn", "bench.wsgi:application", "--workers", "1", "--worker-class", "sync"]
    command += ["--bind", f"127.0.0.1:{side.port}", "--chdir", str(ROOT), "--log-level", "warning"]
    with log.open("wb") as output:  # the server keeps its own copy of the descriptor
        # Own session: a Ctrl-C reaches only this script, whose `finally` stops the server.
        side.server = subprocess.Popen(
            command, cwd=ROOT, env=side_env(side), stdout=output, stderr=output, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(side, "GET", "/bench/open")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{side.name}'s gunicorn did not answer:\n{log.read_text()[-3000:]}")


def stop_server(side: Side) -> None:
    if side.server is None:
        return
    side.server.terminate()  # gunicorn's graceful shutdown: the master stops its worker
    try:
        side.server.wait(15)
    finally:
        try:  # whatever is left of the server's own process group (its session, see start_server)
            os.killpg(side.server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        side.server.wait()


def worker_rss_mib(side: Side) -> float:
    """VmRSS of the gunicorn worker: the master's only child."""
    assert side.server is not None
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            if ppid == side.server.pid:
                status = (stat.parent / "status").read_text()
                return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]
        except (OSError, ValueError):
            continue
    raise RuntimeError(f"no worker process under gunicorn {side.server.pid}")


def request(
    side: Side, method: str, path: str, form: dict[str, str] | None = None, token: str = ""
) -> tuple[int, bytes]:
    headers = {"Host": side.host}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", side.port, timeout=60)
    try:
        connection.request(method, path, urlencode(form) if form is not None else None, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def token_request(side: Side, form: dict[str, str]) -> tuple[float, dict[str, Any]]:
    body = {"client_secret": side.setup["client_secret"], **form}
    start = time.perf_counter()
    status, content = request(side, "POST", side.token_path, body)
    elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"{side.name} {form['grant_type']}: {status} {content[:300]!r}")
    return elapsed, json.loads(content)


def latencies(side: Side, count: int) -> tuple[dict[str, list[float]], str]:
    """N sequential token requests per grant (after warm-up); returns seconds and a hot token."""
    codes = iter(side.setup["codes"])
    redirect = side.setup["redirect_uri"]
    hot = token_request(side, exchange_form(next(codes), redirect))[1]["access_token"]
    out: dict[str, list[float]] = {"client_credentials": [], "authorization_code": [], "refresh_token": []}
    refresh_tokens: list[str] = []
    for _ in range(WARM_UP_REQUESTS + count):
        cc = {"grant_type": "client_credentials", "client_id": "bench-m2m", "scope": side.setup["scope"]}
        elapsed, _ = token_request(side, cc)
        out["client_credentials"].append(elapsed)
        elapsed, body = token_request(side, exchange_form(next(codes), redirect))
        out["authorization_code"].append(elapsed)
        refresh_tokens.append(body["refresh_token"])
    for value in refresh_tokens:
        form = {"grant_type": "refresh_token", "refresh_token": value, "client_id": "bench-web"}
        out["refresh_token"].append(token_request(side, form)[0])
    return {grant: samples[WARM_UP_REQUESTS:] for grant, samples in out.items()}, hot


def exchange_form(code: dict[str, str], redirect_uri: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "client_id": "bench-web",
        "redirect_uri": redirect_uri,
        **code,
    }


def ensure_wrk() -> str | None:
    """wrk from Debian's packages (installed if missing and apt-get can), else None."""
    if found := shutil.which("wrk"):
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if not shutil.which("apt-get") or (sudo and not shutil.which("sudo")):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt(*args: str) -> bool:
        print(f"[e2e] $ {' '.join([*sudo, 'apt-get', *args])}", file=sys.stderr)
        return subprocess.run([*sudo, "apt-get", *args], env=env, capture_output=True).returncode == 0

    if not apt("install", "-y", "-qq", "wrk"):  # the package lists may be missing or stale
        apt("update", "-qq") and apt("install", "-y", "-qq", "wrk")
    return shutil.which("wrk")


def load(wrk: str | None, side: Side, path: str, token: str, seconds: float) -> float:
    """Requests per second over `seconds` with 4 connections; every response must be 200."""
    url = f"http://127.0.0.1:{side.port}{path}"
    headers = {"Host": side.host, **({"Authorization": f"Bearer {token}"} if token else {})}
    if wrk is None:
        return python_load(side, path, token, seconds)
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    command = [wrk, "-t2", "-c4", f"-d{seconds:g}s", "--timeout", "10s", *header_args, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{side.name} {path}: non-2xx responses under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]


def python_load(side: Side, path: str, token: str, seconds: float) -> float:
    """The fallback when wrk cannot be installed: 4 threads, one request at a time each."""
    done: list[int] = []
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        count = 0
        while time.perf_counter() < deadline:
            status, body = request(side, "GET", path, token=token)
            if status != 200:
                raise RuntimeError(f"{side.name} {path}: {status} {body[:200]!r}")
            count += 1
        done.append(count)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - start)


def summary(samples: list[float]) -> dict[str, Any]:
    middle = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else middle
    return {
        "median": middle,
        "spread": (max(samples) - min(samples)) / middle,
        "p90": p90,
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--production", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="server URL, no database number")
    parser.add_argument("--duration", type=float, default=5, help="seconds per load run")
    parser.add_argument("--runs", type=int, default=5, help="load runs per endpoint")
    parser.add_argument("--requests", type=int, default=20, help="timed token requests per grant")
    parser.add_argument("--python-load", action="store_true", help="skip wrk, use the Python load generator")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the `finally` below
    mode = "postgres" if args.production else "sqlite"
    started = time.monotonic()
    all_sides = sides()
    tmp = Path(tempfile.mkdtemp(prefix="perscom-e2e-"))
    try:
        wrk = None if args.python_load else ensure_wrk()
        tool = "wrk -t2 -c4" if wrk else "Python load generator (4 threads; wrk unavailable)"
        if wrk:
            banner = subprocess.run([wrk, "-v"], capture_output=True, text=True)
            tool += f" ({(banner.stdout + banner.stderr).split('[')[0].strip()})"
        print(f"[e2e] {mode}: preparing databases; load tool: {tool}", file=sys.stderr)
        prepare_databases(all_sides, args.production, tmp, args.pg, args.redis)
        sql: dict[str, Any] = {}
        for side in all_sides:
            side.setup = json.loads(
                run(side, "bench/e2e_side.py", "setup", str(1 + WARM_UP_REQUESTS + args.requests))
            )
            sql[side.name] = json.loads(run(side, "bench/e2e_side.py", "sql"))
            start_server(side, tmp)
        print(f"[e2e] servers up: {[(s.name, s.port) for s in all_sides]}; token latency", file=sys.stderr)
        latency, hot = {}, {}
        for side in all_sides:
            samples, hot[side.name] = latencies(side, args.requests)
            latency[side.name] = {grant: summary(values) for grant, values in samples.items()}
        targets = [(side, label, path) for side in all_sides for label, path in side.targets.items()]
        for side, label, path in targets:  # each endpoint answers 200 to what the load sends
            status, body = request(
                side, "GET", path, token="" if label.startswith("open") else hot[side.name]
            )
            if status != 200:
                raise RuntimeError(f"{side.name} {path}: {status} {body[:300]!r}")
        rps: dict[str, dict[str, list[float]]] = {side.name: {} for side in all_sides}
        for run_number in range(-1, args.runs):  # interleaved: drift hits every target alike
            print(f"[e2e] load run {run_number + 1 or 'warm-up'}/{args.runs}", file=sys.stderr)
            for side, label, path in targets:
                token = "" if label.startswith("open") else hot[side.name]
                rate = load(wrk, side, path, token, args.duration if run_number >= 0 else 1)
                if run_number >= 0:
                    rps[side.name].setdefault(label, []).append(rate)
        rss = {side.name: worker_rss_mib(side) for side in all_sides}
    finally:
        for side in all_sides:
            stop_server(side)
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "mode": mode,
        "load_tool": tool,
        "duration_s": args.duration,
        "runs": args.runs,
        "token_requests": args.requests,
        "commit": git("rev-parse", "--short", "HEAD"),
        "perscom_oauth_dirty": bool(git("status", "--porcelain", "perscom_oauth")),
        "gunicorn": version("gunicorn"),
        "throughput_rps": {name: {k: summary(v) for k, v in t.items()} for name, t in rps.items()},
        "token_latency_s": latency,
        "sql_statements": sql,
        "worker_rss_mib": rss,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    table = markdown(result)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"latest-{mode}.md").write_text(table)
    (RESULTS / f"latest-{mode}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"[e2e] wrote bench/results/latest-{mode}.md and .json", file=sys.stderr)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def markdown(r: dict[str, Any]) -> str:
    t, lat, sql, rss = r["throughput_rps"], r["token_latency_s"], r["sql_statements"], r["worker_rss_mib"]
    ours, van = t[OURS], t[VANILLA]
    head = "| perscom-oauth | vanilla DOT | ours / vanilla |\n|---|---:|---:|---:|"

    def row(label: str, a: dict[str, Any], b: dict[str, Any], ms: bool = False) -> str:
        if ms:  # N requests: a single outlier makes the spread, so the 90th percentile too
            cells = [f"{s['median'] * 1e3:.1f} (p90 {s['p90'] * 1e3:.1f}, {s['spread']:.0%})" for s in (a, b)]
        else:
            cells = [f"{s['median']:.0f} ({s['spread']:.0%})" for s in (a, b)]
        return f"| {label} | {cells[0]} | {cells[1]} | {a['median'] / b['median']:.2f} |"

    dirty = " + uncommitted changes in perscom_oauth/" if r["perscom_oauth_dirty"] else ""
    lines = [
        f"## End-to-end benchmark, {r['mode']} (commit {r['commit']}{dirty})",
        "",
        f"- Servers: gunicorn {r['gunicorn']}, 1 sync worker per side, DEBUG off, PBKDF2 password hasher.",
        f"- Load: {r['load_tool']}, {r['duration_s']:g} s x {r['runs']} runs per endpoint, interleaved; "
        "cells: median (spread = (max-min)/median).",
        "- Tokens: authorization codes created with each side's Grant model (ORM), exchanged over HTTP "
        "(confidential client, PKCE S256); the hot token is member bob's, scope view:user.",
        "- Client secrets: each side's default storage (vanilla DOT: Django's password hasher, PBKDF2, "
        "checked on every token request; perscom-oauth: salted SHA-256, perscom_oauth/hashing.py).",
        f"- Whole run: {r['elapsed_s']:.0f} s.",
        "",
        f"| throughput, req/s {head}",
        row("protected `/api/me`", ours["me"], van["me"]),
        row("protected `/api/users/` (vanilla: `/api/me`)", ours["users"], van["me"]),
        row("the same `/api/me` view, AllowAny, no authentication", ours["open-me"], van["open-me"]),
        row("a trivial view `/bench/open` (AllowAny, no authentication)", ours["open"], van["open"]),
        f"| protected / the same view unauthenticated | "
        f"{ours['me']['median'] / ours['open-me']['median']:.2f} | "
        f"{van['me']['median'] / van['open-me']['median']:.2f} | |",
        f"| protected / trivial view | {ours['me']['median'] / ours['open']['median']:.2f} | "
        f"{van['me']['median'] / van['open']['median']:.2f} | |",
        "",
        f"| token endpoint over HTTP, ms (N={r['token_requests']}) {head}",
        *(
            row(label, lat[OURS][grant], lat[VANILLA][grant], ms=True)
            for grant, label in GRANT_LABELS.items()
        ),
        "",
        "| SQL statements per request (in-process, without BEGIN, COMMIT, savepoints) "
        "| perscom-oauth | vanilla DOT | ours - vanilla |",
        "|---|---:|---:|---:|",
    ]
    for flow, counts in sql[OURS].items():
        other = sql[VANILLA].get(flow) or sql[VANILLA]["hot API request (/api/me)"]
        note = "" if flow in sql[VANILLA] else " (vanilla: /api/me)"
        lines.append(
            f"| {flow}{note} | {counts['median']:g} | {other['median']:g} | "
            f"{counts['median'] - other['median']:+g} |"
        )
    lines += [
        "",
        f"| memory {head}",
        f"| gunicorn worker VmRSS after the load, MiB | {rss[OURS]:.1f} | {rss[VANILLA]:.1f} | "
        f"{rss[OURS] / rss[VANILLA]:.2f} |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
