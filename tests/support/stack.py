"""A running deployment for tests: the app on a real port in this event loop, and a real worker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from redis.asyncio import Redis

from alerting.app import create_app
from alerting.realtime.socket_protocol import LeanWebSocketProtocol
from alerting.settings import Settings
from alerting.store.db import async_url
from alerting.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
# RabbitMQ, for the tests that run Celery on it (scripts/test.sh starts it: ensure-rabbitmq.sh).
TEST_BROKER_URL = os.environ.get("ALERTING_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def create_pg_database() -> tuple[str, str]:
    """A database of this run's own, so two runs never see each other's rows."""
    base = os.environ.get("ALERTING_TEST_DATABASE_URL", DEFAULT_PG)
    name = f"alerting_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(async_url(base).replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rsplit("/", 1)[0] + "/" + name, name


async def drop_pg_database(name: str) -> None:
    base = os.environ.get("ALERTING_TEST_DATABASE_URL", DEFAULT_PG)
    conn = await asyncpg.connect(async_url(base).replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTING_")}
    env.update(
        {
            "ALERTING_REDIS_URL": settings.redis_url,
            "ALERTING_REDIS_CLUSTER": "1" if settings.redis_cluster else "0",
            "ALERTING_DATABASE_URL": settings.database_url,
            "ALERTING_REDIS_PREFIX": settings.redis_prefix,
            "ALERTING_OPERATOR_TOKEN": settings.operator_token or "",
            "ALERTING_SWEEP_INTERVAL_S": str(settings.sweep_interval_s),
            "ALERTING_LOG_LEVEL": "INFO",
            "ALERTING_DB_POOL_SIZE": str(settings.db_pool_size),
            "ALERTING_CALLBACK_ALLOWED_HOSTS": ",".join(settings.callback_allowed_hosts),
        }
    )
    env["ALERTING_DENSITY_INTERVAL_S"] = str(settings.density_interval_s)
    if settings.broker_url:
        env["ALERTING_BROKER_URL"] = settings.broker_url
    return env


@dataclass
class Worker:
    settings: Settings
    proc: subprocess.Popen | None = None
    log: Path | None = None
    supervised: bool = False  # under scripts/supervise.sh, as `make run` runs it: restarted when it fails

    def start(self) -> None:
        self.log = ROOT / "var" / f"worker-{self.settings.redis_prefix.strip(':').replace(':', '-')}.log"
        self.log.parent.mkdir(exist_ok=True)
        supervisor = ["bash", str(ROOT / "scripts" / "supervise.sh")] if self.supervised else []
        self.proc = subprocess.Popen(
            [*supervisor, sys.executable, "-m", "alerting", "worker", "--concurrency", "2"],
            cwd=ROOT,
            env=env_for(self.settings),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group: the pool children too, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc:
            with contextlib.suppress(ProcessLookupError):  # a pool child that outlived its parent
                os.killpg(self.proc.pid, signal.SIGKILL)


class OnLoopback:
    """Where an API listening on `self.port` answers HTTP and responder sockets."""

    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/responders/ws"


@dataclass
class Stack(OnLoopback):
    settings: Settings
    port: int
    worker: Worker
    server: uvicorn.Server | None = None
    task: asyncio.Task | None = None
    redis: Redis = field(init=False)

    async def start(self) -> None:
        self.redis = Redis.from_url(self.settings.redis_url)
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="on",
            # Server and clients share this event loop, so a keepalive deadline would measure how busy
            # the loop is (a thousand sockets racing on a loaded machine), not the link; the pings and
            # their deadline are tested against separate processes (tests/e2e).
            ws_ping_interval=None,
            ws=LeanWebSocketProtocol,  # as alerting/serve.py runs it
            ws_per_message_deflate=False,
            # The test's clients share this event loop: when it is busy (a thousand sockets on a
            # loaded machine) a pooled connection can sit idle past uvicorn's 5 s default and be
            # closed just as a request is written on it, which httpx reports as a ReadError.
            timeout_keep_alive=120,
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(500):
            if self.server.started:
                break
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("test server did not start")
        self.worker.start()

    async def stop(self) -> None:
        self.worker.stop()
        if self.server is not None:
            self.server.should_exit = True
            await asyncio.wait_for(self.task, 15)
        await self._cleanup_redis()
        await self.redis.aclose()

    async def _cleanup_redis(self) -> None:
        keys = [k async for k in self.redis.scan_iter(match=f"{self.settings.redis_prefix}*", count=1000)]
        for i in range(0, len(keys), 500):
            await self.redis.delete(*keys[i : i + 500])

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)


def production_secrets() -> dict[str, str]:
    """Real secrets, freshly made: what a production deployment must be given."""
    import base64
    import secrets

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.asymmetric import ec

    raw = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    return {
        "operator_token": secrets.token_urlsafe(32),
        "secret_key": Fernet.generate_key().decode(),
        "vapid_private_key": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
    }


def make_settings(database_url: str, **overrides) -> Settings:
    overrides.setdefault("density_interval_s", 86_400.0)  # replay tests take their density snapshots themselves
    return Settings(
        database_url=database_url,
        redis_url=overrides.pop("redis_url", os.environ.get("ALERTING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")),
        redis_prefix=f"test-{uuid.uuid4().hex[:10]}:",
        operator_token=f"op-test-{uuid.uuid4().hex}",
        sweep_interval_s=1.0,
        log_json=True,
        # Shared test deployments drive thousands of requests through one admin key; the limits
        # themselves are tested on a deployment of their own.
        # Small pools: several processes per test deployment share one PostgreSQL's connection limit.
        # Applications are limited per trust and address; the authorisation matrix alone sends ~45.
        # Webhook receivers listen on 127.0.0.1, which only the allow-list lets a callback_url name.
        **{
            "callback_allowed_hosts": ["127.0.0.1"],
            "rate_limits_enabled": False,
            "db_pool_size": 4,
            "registration_burst": 100,
            **overrides,
        },
    )


def drop_broker_queue(settings: Settings) -> None:
    """RabbitMQ keeps a run's queue and exchanges after it (Redis ones go with the prefix): drop them."""
    from kombu import Connection

    from alerting.live.keys import Keys

    name = Keys(settings.redis_prefix).task_queue()
    with Connection(settings.broker_url) as conn:
        channel = conn.channel()
        channel.queue_delete(name)
        for exchange in (name, f"{name}.pidbox"):
            channel.exchange_delete(exchange)


def migrate(database_url: str) -> None:
    upgrade(database_url)
