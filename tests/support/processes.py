"""A deployment of real processes on loopback: several `python -m alerting serve` nodes and a worker.

Each node is a uvicorn subprocess of its own, so the only thing they share is Redis and the
database, as in production. Nodes are started and waited on by polling `/healthz` with a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from alerting.settings import Settings
from tests.support.stack import ROOT, OnLoopback, Worker, env_for, free_port


@dataclass
class ApiNode(OnLoopback):
    """One API process. `kill()` is a crash (SIGKILL); `stop()` is a graceful shutdown."""

    settings: Settings
    name: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    log: Path | None = None

    def start(self) -> None:
        self.log = ROOT / "var" / f"api-{self.settings.redis_prefix.strip(':')}-{self.name}.log"
        self.log.parent.mkdir(exist_ok=True)
        env = {**env_for(self.settings), **self.extra_env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "alerting", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"API node {self.name} exited; see {self.log}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling a subprocess's port: there is no event to wait on
        raise RuntimeError(f"API node {self.name} did not answer /healthz within {timeout} s; see {self.log}")

    def signal(self, sig: int) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL: no goodbye to sockets, no lifespan shutdown, as a crash."""
        self.signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.signal(signal.SIGTERM)
        if self.proc:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)


class NodeWorker(Worker):
    """The test worker with extra environment (settings the API nodes get too)."""

    def __init__(self, settings: Settings, extra_env: dict[str, str]):
        super().__init__(settings)
        self.extra_env = extra_env

    def start(self) -> None:
        self.log = ROOT / "var" / f"worker-{self.settings.redis_prefix.strip(':')}.log"
        self.log.parent.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "alerting", "worker", "--concurrency", "2"],
            cwd=ROOT,
            env={**env_for(self.settings), **self.extra_env},
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass
class Deployment:
    """N API nodes and one worker on one Redis prefix and one database; `client()` talks to node 0."""

    settings: Settings
    nodes: list[ApiNode]
    worker: Worker

    @classmethod
    def create(cls, settings: Settings, nodes: int = 2, extra_env: dict[str, str] | None = None) -> Deployment:
        env = dict(extra_env or {})
        return cls(settings, [ApiNode(settings, f"n{i}", env) for i in range(nodes)], NodeWorker(settings, env))

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        self.worker.start()
        for node in self.nodes:
            node.wait_ready()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.worker.stop()

    # The same shape as tests.support.stack.Stack, so make_trust and friends work on it.
    @property
    def base_url(self) -> str:
        return self.nodes[0].base_url

    @property
    def ws_url(self) -> str:
        return self.nodes[0].ws_url

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        return self.nodes[0].client(token)
