"""A private PostgreSQL primary and a streaming replica of it, for tests/test_replica_router.py.

The shared server at DATABASE_URL cannot be made a primary with a replica (and other runs use
it), so the test builds its own pair with the server's binaries (``initdb``, ``pg_basebackup``,
``pg_ctl`` under /usr/lib/postgresql/<version>/bin): a temporary directory, two free loopback
ports, trust authentication, durability off (nothing here must survive a crash); both are
stopped and the directory removed at the end. Run as the ``postgres`` OS user when the tests
run as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: The database the child suite uses on the private primary (and so on its replica).
DATABASE = "perscom"
#: Settings of both servers: fast and disposable.
SERVER_SETTINGS = """
listen_addresses = '127.0.0.1'
fsync = off
full_page_writes = off
max_connections = 40
shared_buffers = 32MB
wal_level = replica
max_wal_senders = 4
hot_standby = on
"""


def binaries() -> Path | None:
    """The newest PostgreSQL's bin directory that has what the pair needs."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for directory in found:
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup", "createdb")):
            return directory
    return None


def unavailable() -> str | None:
    """Why the pair cannot be built here, or None."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "the replica suite needs PostgreSQL (DATABASE_URL=postgres://...): SQLite has no replicas"
    if binaries() is None:
        return "the replica suite needs PostgreSQL's initdb and pg_basebackup (/usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "the replica suite runs PostgreSQL as the postgres user, through runuser, which is missing"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Pair:
    primary_port: int
    replica_port: int

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)


@contextmanager
def primary_and_replica() -> Iterator[Pair]:
    """A primary with a database ``perscom`` and a hot standby streaming from it."""
    bin_directory = binaries()
    assert bin_directory is not None, unavailable()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    directory = Path(tempfile.mkdtemp(prefix="perscom-replica-"))
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
    primary, replica = directory / "primary", directory / "replica"
    pair = Pair(free_port(), free_port())

    def run(*command: str | Path) -> None:
        result = subprocess.run(
            [*as_postgres, str(bin_directory / str(command[0])), *map(str, command[1:])],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}")

    def start(data: Path, port: int) -> None:
        log, options = directory / f"{data.name}.log", f"-p {port} -k {directory}"
        run("pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "30", "start")

    started: list[Path] = []
    try:
        run("initdb", "-D", primary, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_SETTINGS)
        start(primary, pair.primary_port)
        started.append(primary)
        run("createdb", "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres", DATABASE)
        # -R: standby.signal and primary_conninfo, so it starts as a streaming replica.
        run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres"),
            *("-D", replica, "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )
        start(replica, pair.replica_port)
        started.append(replica)
        yield pair
    finally:
        for data in reversed(started):
            stop = [str(bin_directory / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            subprocess.run([*as_postgres, *stop], capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)
