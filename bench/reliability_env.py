"""The production setup bench/reliability.py runs against, all on loopback and all its own:

- a PostgreSQL database (recreated each run) reached by the servers through ``FaultyProxy``, a
  TCP relay the script can cut to make the database unreachable for a moment; with
  ``--pgbouncer``, through a PgBouncer of its own in transaction mode (bench/pgbouncer.py) in
  front of that relay, so that the cut falls between the pooler and PostgreSQL;
- a Redis server on a free port (not the shared one: it is stopped, restarted and flushed);
- gunicorn masters (sync workers, DEBUG off) serving the demo (``bench.perscom_e2e_settings``).

The script itself also runs Django (same database, directly, and the same Redis) to prepare
codes and to count what the servers wrote.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.pgbouncer import PgBouncer

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SETTINGS = "bench.reliability_settings"
HOST = "localhost"  # the seeded "demo" organization's primary host


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class OwnRedis:
    """A Redis server of our own, without persistence: a restart is also a flush."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        command = [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        command += ["--dir", str(self.tmp)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(
            lambda: socket.create_connection(("127.0.0.1", self.port), 0.5).close() or True, 10, "redis"
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class FaultyProxy:
    """A TCP relay to PostgreSQL. ``cut()`` closes every relayed connection and refuses new
    ones until ``heal()``: to the servers, the database went away."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if self.down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except OSError:
            return
        finally:
            for end in (a, b):
                end.close()

    def cut(self) -> None:
        self.down = True
        with self.lock:
            for pair in self.pairs:
                for end in pair:
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.pairs.clear()

    def heal(self) -> None:
        self.down = False


@dataclass
class Server:
    """One gunicorn master and its sync workers."""

    name: str
    env: dict[str, str]
    workers: int  # 0: Django's threaded runserver instead of gunicorn
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.port = free_port()
        command = [PY, "-m", "gunicorn", "bench.wsgi:application", "--workers", str(self.workers)]
        command += ["--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT)]
        command += ["--timeout", "60", "--graceful-timeout", "5", "--no-control-socket"]
        if not self.workers:
            command = [PY, "manage.py", "runserver", "--noreload", "--nostatic", f"127.0.0.1:{self.port}"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=output, stderr=output, start_new_session=True
            )
        wait_until(
            lambda: self.call("GET", "/.well-known/oauth-authorization-server")[0] == 200, 60, self.name
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        finally:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rpartition(")")[2].split()[1]) == self.process.pid:
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError):
                continue
        return pids

    def worker_rss_mib(self) -> dict[int, float]:
        sizes = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            sizes[pid] = int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]
        return sizes

    def call(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        token: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {"Host": HOST, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if form is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            body = urlencode(form).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body, sent)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def json_body(content: bytes) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Environment:
    """Everything above, set up and torn down together."""

    def __init__(self, pg: str, database: str, workers: int, pgbouncer: bool = False) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="perscom-reliability-"))
        self.pg, self.database, self.workers = pg, database, workers
        self.redis = OwnRedis(self.tmp)
        port = int(re.search(r":(\d+)$", pg.rstrip("/"))[1]) if re.search(r":(\d+)$", pg) else 5432  # type: ignore[index]
        self.proxy = FaultyProxy(port)
        # Server connections kept 600 s, PgBouncer's default, as in production: the run's
        # database is dropped directly, WITH (FORCE).
        self.bouncer = PgBouncer(self.relay_url(), idle_seconds=600) if pgbouncer else None
        self.servers: list[Server] = []

    def direct_url(self) -> str:
        return f"{self.pg}/{self.database}"

    def relay_url(self) -> str:
        user = re.match(r"postgres(?:ql)?://([^@]*)@", self.pg)
        return f"postgres://{user[1] if user else 'postgres'}@127.0.0.1:{self.proxy.port}"

    def proxied_url(self) -> str:
        """The servers' database: through the relay, and PgBouncer in front of it if any."""
        return self.bouncer.url(self.database) if self.bouncer else f"{self.relay_url()}/{self.database}"

    def server_env(self) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "DATABASE_POOLER", "REDIS_URL", "DJANGO_DEBUG")
        }
        return {
            **base,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DATABASE_URL": self.proxied_url(),
            **({"DATABASE_POOLER": "transaction"} if self.bouncer else {}),
            "REDIS_URL": self.redis.url,
            "PYTHONUNBUFFERED": "1",
        }

    def server_connections(self) -> int:
        """Connections the servers hold to the run's database (this script's own excluded):
        PostgreSQL's sessions, or PgBouncer's clients (its sessions are its pool's business)."""
        if self.bouncer:
            return sum(1 for c in self.bouncer.admin("SHOW CLIENTS") if c["database"] == self.database)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database],
            )
            return int(cursor.fetchone()[0])

    def prepare(self) -> None:
        import psycopg

        with psycopg.connect(f"{self.pg}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {self.database}")
        self.redis.start()
        if self.bouncer:
            self.bouncer.start()
        os.environ.update(
            DJANGO_SETTINGS_MODULE=SETTINGS, DATABASE_URL=self.direct_url(), REDIS_URL=self.redis.url
        )
        os.environ.pop("DJANGO_DEBUG", None)
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))

    def start_server(self, name: str, workers: int | None = None, **env: str) -> Server:
        workers = self.workers if workers is None else workers
        server = Server(name, {**self.server_env(), **env}, workers, self.tmp / f"{name}.log")
        server.start()
        self.servers.append(server)
        return server

    def logs(self) -> str:
        return "".join(s.log.read_text(errors="replace") for s in self.servers if s.log.exists())

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.redis.stop()
        if self.bouncer:
            self.bouncer.stop()
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(f"{self.pg}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
        shutil.rmtree(self.tmp, ignore_errors=True)
