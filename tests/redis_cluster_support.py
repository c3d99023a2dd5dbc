"""A Redis Cluster of the test session's own: three masters on free loopback ports, no replicas,
in a temporary folder, stopped at the end (``redis_cluster`` in tests/test_redis_cluster.py).

Without ``redis-server`` and ``redis-cli`` the tests that need it skip; in CI (``CI=true``) they
fail instead: the CI image has both."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

MASTERS = 3


def cluster_missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it: apt-get install redis-server)", pytrace=False)
    pytest.skip(reason)


class RedisClusterServers:
    """The servers' processes and the startup nodes to give a client."""

    def __init__(self, folder: Path, ports: list[int], processes: list[subprocess.Popen[bytes]]) -> None:
        self.folder, self.ports, self.processes = folder, ports, processes

    @property
    def location(self) -> list[str]:
        return [f"redis://127.0.0.1:{port}" for port in self.ports]

    def caches(self, **options: Any) -> dict[str, Any]:
        return {
            "default": {
                "BACKEND": "perscom_oauth.cache.cluster.RedisClusterCache",
                "LOCATION": self.location,
                # As in production (perscom_oauth.W005): a node that stops answering costs a
                # bounded wait.
                "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5, **options},
            }
        }

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(250):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            break
        time.sleep(0.02)
    raise RuntimeError(f"redis-server on port {port} did not start")


def _cluster_ok(cli: str, ports: list[int]) -> bool:
    for port in ports:
        info = subprocess.run(
            [cli, "-h", "127.0.0.1", "-p", str(port), "cluster", "info"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if "cluster_state:ok" not in info:
            return False
    return True


@contextmanager
def redis_cluster(folder: Path) -> Iterator[RedisClusterServers]:
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        cluster_missing("redis-server and redis-cli are not installed: no Redis Cluster to test")
    assert server is not None and cli is not None
    ports = [free_port() for _ in range(MASTERS)]
    # Each node's cluster bus on a port of its own (by default the port + 10000, which may be
    # taken or past 65535).
    buses = [free_port() for _ in range(MASTERS)]
    processes = []
    for port, bus in zip(ports, buses, strict=True):
        node = folder / str(port)
        node.mkdir()
        processes.append(
            subprocess.Popen(
                [
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-port",
                    str(bus),
                    "--cluster-config-file",
                    "nodes.conf",
                    # Long enough that a node paused by a test is not declared failed (the
                    # cluster would then refuse every command until it healed).
                    "--cluster-node-timeout",
                    "15000",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                cwd=node,
                stdout=subprocess.DEVNULL,
            )
        )
    servers = RedisClusterServers(folder, ports, processes)
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_for_port(port, process)
        addresses = [f"127.0.0.1:{port}" for port in ports]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            check=True,
            timeout=30,
        )
        deadline = time.monotonic() + 15
        while not _cluster_ok(cli, ports):
            if time.monotonic() > deadline:
                raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")
            time.sleep(0.05)
        yield servers
    finally:
        servers.stop()
