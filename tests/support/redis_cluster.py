"""A Redis Cluster of three masters (and, if asked, replicas) on loopback, from Debian's redis-server.

Each node is a `redis-server --cluster-enabled yes` child with its own data directory under a
temporary one; `redis-cli --cluster create` joins them (no replicas), and the cluster is ready once
every node reports `cluster_state:ok`. `stop()` ends the three processes and removes the data.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.support.stack import free_port

MASTERS = 3


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    while True:
        port = free_port()
        if port + 10_000 < 65_536 and _bindable(port + 10_000):
            return port


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class RedisClusterOnLoopback:
    replicas: int = 0  # per master
    node_timeout_ms: int = 5000  # how long a master may be silent before its replica takes over
    ports: list[int] = field(default_factory=list)
    root: Path | None = None
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Any one node is enough for a cluster client: it discovers the others."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self, timeout: float = 60) -> None:
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> None:
        if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
            raise RuntimeError("redis-server and redis-cli are needed: apt-get install redis-server")
        self.root = Path(tempfile.mkdtemp(prefix="redis-cluster-"))
        self.ports = []
        while len(self.ports) < MASTERS * (1 + self.replicas):  # distinct, and no node's bus port is another's port
            port = _free_cluster_port()
            if all(abs(port - p) not in (0, 10_000) for p in self.ports):
                self.ports.append(port)
        deadline = time.monotonic() + timeout
        for port in self.ports:
            data = self.root / str(port)
            data.mkdir()
            self.procs.append(
                subprocess.Popen(
                    [
                        "redis-server",
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        str(data / "nodes.conf"),
                        "--cluster-node-timeout",
                        str(self.node_timeout_ms),
                        "--cluster-replica-validity-factor",
                        "0",
                        "--dir",
                        str(data),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--protected-mode",
                        "no",
                    ],  # fmt: skip
                    stdout=(data / "redis.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        for port in self.ports:
            self._until(deadline, lambda p=port: self._client(p).ping(), f"redis-server on {port} to answer")
        subprocess.run(
            ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports]]
            + ["--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=max(1.0, deadline - time.monotonic()),
        )
        for port in self.ports:
            self._until(deadline, lambda p=port: self._state_ok(p), f"node {port} to report cluster_state:ok")
        for port in self.ports:  # a replica can take over only once it has its master's data
            self._until(deadline, lambda p=port: self._synced(p), f"node {port}'s replication link")

    def _synced(self, port: int) -> bool:
        with self._client(port) as r:
            info = r.info("replication")
        return info["role"] == "master" or info.get("master_link_status") == "up"

    def kill(self, port: int) -> None:
        """SIGKILL one node, as a crash: with replicas, one of its replicas takes its slots over."""
        proc = self.procs[self.ports.index(port)]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def _client(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)

    def _state_ok(self, port: int) -> bool:
        with self._client(port) as r:
            info = r.cluster("info")
        return info.get("cluster_state") == "ok" and int(info.get("cluster_slots_assigned", 0)) == 16_384

    def _until(self, deadline: float, check, what: str) -> None:
        while True:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a redis-server of the cluster exited; see {self.root}/*/redis.log")
            try:
                if check():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}; see {self.root}/*/redis.log")
            time.sleep(0.05)  # polling other processes' state: there is no event to wait on

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs = []
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
