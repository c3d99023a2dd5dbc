"""A PgBouncer of our own in transaction mode, in front of PostgreSQL on loopback (issue 25): the
whole suite and ``make reliability`` run through it, and tests/test_pgbouncer.py starts one.

    python3 bench/pgbouncer.py run -- .venv/bin/python -m pytest -n 2   # start, run, stop
    python3 bench/pgbouncer.py start [--port 16432]    # prints the variables to export
    python3 bench/pgbouncer.py stop --port 16432

``run`` gives the command ``DATABASE_URL`` (the database ``test`` through PgBouncer),
``DATABASE_POOLER=transaction`` (project/settings.py: no server-side cursors) and
``PGBOUNCER_URL`` (no database: ``bench/reliability.py --pooler "$PGBOUNCER_URL"``).
Needs the ``pgbouncer`` binary (``apt-get install pgbouncer``); the standard library only, so
that ``python3`` runs it before any virtualenv exists. Never the system's service on 6432: a
free loopback port (or ``--port``), a temporary directory, stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

UPSTREAM = "postgres://postgres@127.0.0.1:5432"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer") if os.access(p, os.X_OK)), None
    )


class PgBouncer:
    """One PgBouncer process and its directory (configuration, log, pid file).

    ``idle_seconds`` is ``server_idle_timeout``: 1 by default, so that a database can be dropped
    through it (the suite drops its test databases): PostgreSQL's DROP DATABASE waits up to 5 s
    for other sessions to leave, and a server connection left idle in the pool leaves after 1 s.
    A production PgBouncer keeps its default (600 s).
    """

    def __init__(self, upstream: str = UPSTREAM, port: int = 0, idle_seconds: int = 1) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 5432
        self.user = parts.username or "postgres"
        self.port = port or free_port()
        self.idle_seconds = idle_seconds
        self.directory = Path(tempfile.mkdtemp(prefix=f"perscom-pgbouncer-{self.port}-"))
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "") -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}" + (f"/{database}" if database else "")

    def configuration(self) -> str:
        settings = {
            "listen_addr": "127.0.0.1",
            "listen_port": self.port,
            "unix_socket_dir": "",  # loopback TCP only
            # Loopback only, and PostgreSQL here trusts loopback: the user name is ignored and
            # every server connection logs in as the upstream's user (the [databases] line).
            "auth_type": "any",
            "admin_users": self.user,  # the console (database "pgbouncer"): SHOW CLIENTS, ...
            "pool_mode": "transaction",
            # Round robin (FIFO) rather than PgBouncer's LIFO: a client's next transaction lands
            # on another server connection whenever the pool holds several, so state left in a
            # session (a WITH HOLD cursor, a SET, an advisory lock) shows up at once, not by luck.
            "server_round_robin": 1,
            # The suite with two xdist workers, live servers and their threads, and
            # bench/reliability.py's gunicorn masters and threaded runserver (25 racing requests).
            "max_client_conn": 1000,
            "default_pool_size": 20,
            # Under PostgreSQL's max_connections (100), which other runs on this server share.
            "max_user_connections": 50,
            "server_idle_timeout": self.idle_seconds,
            # libpq startup parameters PgBouncer cannot pass on per transaction; psycopg 3 sends
            # neither by default, psycopg2 sends extra_float_digits.
            "ignore_startup_parameters": "extra_float_digits,options",
            "logfile": self.directory / "pgbouncer.log",
            "pidfile": self.directory / "pgbouncer.pid",
        }
        lines = ["[databases]"]
        # A wildcard: every database, the suite's test_perscom_* included, is PostgreSQL's own.
        lines.append(f"* = host={self.upstream_host} port={self.upstream_port} user={self.user}")
        lines.append("[pgbouncer]")
        lines += [f"{key} = {value}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    def command(self, daemon: bool = False) -> list[str]:
        executable = binary()
        if executable is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
        configuration = self.directory / "pgbouncer.ini"
        configuration.write_text(self.configuration())
        command = [executable, *(["-d"] if daemon else []), str(configuration)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            owner = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.directory, owner)
            command[1:1] = ["-u", owner]
        return command

    def start(self, daemon: bool = False) -> PgBouncer:
        command = self.command(daemon)
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        if daemon:
            self.process.wait(10)  # the daemon forks away; its pid is in the pid file
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "process up" in self.log():
                return self
            if not daemon and self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pgbouncer did not start:\n{self.log()[-2000:]}")

    def log(self) -> str:
        try:
            return (self.directory / "pgbouncer.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Immediate shutdown (SIGTERM): its server connections close with it."""
        pid = self.process.pid if self.process and self.process.poll() is None else _pid_in(self.directory)
        if pid:
            _terminate(pid)
        if self.process is not None:
            self.process.wait(10)
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def admin(self, command: str) -> list[dict[str, Any]]:
        """A command of PgBouncer's console (``SHOW CLIENTS``...), its rows as dicts. Needs psycopg:
        the console speaks the simple query protocol only, which psycopg's ClientCursor uses."""
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(
            self.url("pgbouncer"), autocommit=True, cursor_factory=psycopg.ClientCursor, row_factory=dict_row
        ) as console:
            return console.execute(command).fetchall()  # type: ignore[return-value]

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _pid_in(directory: Path) -> int | None:
    try:
        return int((directory / "pgbouncer.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def environment(bouncer: PgBouncer, database: str) -> dict[str, str]:
    return {
        "DATABASE_URL": bouncer.url(database),
        "DATABASE_POOLER": "transaction",
        "PGBOUNCER_URL": bouncer.url(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    actions = parser.add_subparsers(dest="action", required=True)
    for name in ("run", "start", "stop"):
        action = actions.add_parser(name)
        action.add_argument("--port", type=int, default=0, help="a loopback port (default: a free one)")
        if name != "stop":
            action.add_argument("--upstream", default=UPSTREAM, help=f"PostgreSQL (default {UPSTREAM})")
            action.add_argument("--database", default="test", help="the database of DATABASE_URL")
        if name == "run":
            action.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    options = parser.parse_args()
    if options.action == "stop":
        if not options.port:
            parser.error("stop needs --port")
        directories = list(Path(tempfile.gettempdir()).glob(f"perscom-pgbouncer-{options.port}-*"))
        for directory in directories:
            pid = _pid_in(directory)
            if pid:
                _terminate(pid)
            shutil.rmtree(directory, ignore_errors=True)
        return 0 if directories else 1
    bouncer = PgBouncer(options.upstream, options.port)
    if options.action == "start":
        bouncer.start(daemon=True)
        for key, value in environment(bouncer, options.database).items():
            print(f"export {key}={value}")
        print(f"# stop: python3 bench/pgbouncer.py stop --port {bouncer.port}", file=sys.stderr)
        return 0
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("run needs a command: run -- <command>")
    with bouncer:
        print(f"pgbouncer: transaction mode on 127.0.0.1:{bouncer.port}", file=sys.stderr, flush=True)
        return subprocess.call(command, env={**os.environ, **environment(bouncer, options.database)})


if __name__ == "__main__":
    sys.exit(main())
