"""Replicated infrastructure on loopback, for tests/test_redis_sentinel.py and
bench/reliability_distributed.py: a Redis primary, two replicas and three Sentinels of one's
own, on free ports.

``kill_primary()`` kills the primary outright (SIGKILL: no goodbye to its replicas, writes it
acknowledged and had not yet replicated are lost, as in a crash), waits for the Sentinels to
promote a replica, and starts the old primary again as a replica of the new one.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

SERVICE = "perscom"


def _wait(condition: object, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except (redis.RedisError, ValueError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"waited {seconds} s for {what}")


def _flags(state: Any) -> set[str]:
    # redis-py gives a Sentinel's flags as a set or as "master,s_down", by protocol version.
    flags = state["flags"]
    return set(flags.split(",")) if isinstance(flags, str) else set(flags)


@dataclass
class SentinelTopology:
    root: Path
    ports: list[int]  # the three data servers, then the three Sentinels
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    crashed_at: float = 0.0
    #: How long a primary may be silent before the Sentinels fail it over: short, for fast
    #: runs; a loaded machine then sees the odd failover of a primary that was only slow.
    down_after_ms: int = 400
    binary: str = field(default_factory=lambda: shutil.which("redis-server") or "redis-server")

    @property
    def sentinel_ports(self) -> list[int]:
        return self.ports[3:]

    def start(self) -> None:
        first, *replicas = self.ports[:3]
        self._server(first)
        for port in replicas:
            self._server(port, replica_of=first)
        _wait(lambda: self.client(first).info("replication")["connected_slaves"] == 2, "the replicas")
        for port in self.sentinel_ports:
            self._sentinel(port, monitored=first)
        _wait(lambda: self.primary_port() == first and self._sentinels_agree(), "the Sentinels")

    def stop(self) -> None:
        for process in self.processes.values():
            process.kill()
        for process in self.processes.values():
            process.wait()

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    def primary_port(self) -> int:
        """The primary every Sentinel names (a failover in progress: ValueError)."""
        named = {self._named_by(port) for port in self.sentinel_ports}
        if len(named) != 1:
            raise ValueError(f"the Sentinels disagree: {sorted(named)}")
        return named.pop()

    def _named_by(self, sentinel: int) -> int:
        _host, port = self.client(sentinel).sentinel_get_master_addr_by_name(SERVICE)
        return int(port)

    def caches(self, **options: object) -> dict[str, object]:
        return {
            "default": {
                "BACKEND": "perscom_oauth.cache.sentinel.RedisSentinelCache",
                "LOCATION": [f"redis://127.0.0.1:{port}" for port in self.sentinel_ports],
                "OPTIONS": {
                    "service_name": SERVICE,
                    # Generous: a loaded CI machine must not turn a slow answer into an outage
                    # (a crashed primary refuses connections at once anyway).
                    "socket_timeout": 2,
                    "socket_connect_timeout": 2,
                    **options,
                },
            }
        }

    def kill_primary(self) -> int:
        """Crash the primary and wait for the promotion; the new primary's port."""
        old = self.crash_primary(self.await_replica())
        _wait(lambda: self.promoted(old), "the promotion")
        self.restart(old)
        return self.primary_port()

    def await_replica(self) -> int:
        """Wait until the topology is settled enough to survive a crash: every Sentinel names
        the same primary, none is still failing it over or holds it down, and each knows an
        online replica of it to promote; the primary's port.

        ``promoted()`` turns true as soon as the new primary takes writes, while the leading
        Sentinel is still reconfiguring the other replica; a crash in that window once left
        the leader's failover unfinished and the Sentinels naming two primaries for good.
        """
        found: list[int] = []

        def ready() -> bool:
            primary = self.primary_port()
            if self.client(primary).info("replication")["connected_slaves"] < 1:
                return False
            for port in self.sentinel_ports:
                sentinel = self.client(port)
                if _flags(sentinel.sentinel_master(SERVICE)) != {"master"}:
                    return False  # s_down, o_down or failover_in_progress
                replicas = sentinel.sentinel_slaves(SERVICE)
                if not any(_flags(r) == {"slave"} and r["master-link-status"] == "ok" for r in replicas):
                    return False
            found.append(primary)
            return True

        _wait(ready, "a settled primary with a replica", seconds=30)
        return found[-1]

    def crash_primary(self, old: int) -> int:
        """SIGKILL the primary (the port ``await_replica`` returned) at once; its port.
        ``crashed_at`` (``time.monotonic()``) is when the signal was sent."""
        self.processes[old].send_signal(signal.SIGKILL)
        self.crashed_at = time.monotonic()
        self.processes[old].wait()
        return old

    def promoted(self, old: int) -> bool:
        """Whether every Sentinel names the same new primary and it answers as one."""
        try:
            new = self.primary_port()
            return new != old and self.client(new).info("replication")["role"] == "master"
        except (redis.RedisError, ValueError):
            return False

    def restart(self, old: int) -> None:
        """Start a crashed primary again as a replica of the new one (as an operator would:
        the Sentinels would convert it too, after up to 10 s)."""
        self._server(old, replica_of=self.primary_port())

    def _server(self, port: int, replica_of: int | None = None) -> None:
        arguments = [
            self.binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        arguments += ["--dir", str(self.root), "--dbfilename", f"dump-{port}.rdb"]
        # A replica syncs at once, not after the default 5 s wait for more replicas to join.
        arguments += ["--repl-diskless-sync-delay", "0"]
        if replica_of is not None:
            arguments += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.processes[port] = subprocess.Popen(arguments, stdout=subprocess.DEVNULL)
        _wait(lambda: self.client(port).ping(), f"redis on {port}")

    def _sentinel(self, port: int, monitored: int) -> None:
        config = self.root / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self.root}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {monitored} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {self.down_after_ms}\n"
            f"sentinel failover-timeout {SERVICE} 3000\n"
        )
        self.processes[port] = subprocess.Popen(
            [self.binary, str(config), "--sentinel"], stdout=subprocess.DEVNULL
        )
        _wait(lambda: self.client(port).ping(), f"sentinel on {port}")

    def _sentinels_agree(self) -> bool:
        # Each Sentinel knows the other two and the replica: a failover can be elected.
        for port in self.sentinel_ports:
            master = self.client(port).sentinel_master(SERVICE)
            if int(master["num-other-sentinels"]) < 2 or int(master["num-slaves"]) < 2:
                return False
        return True
