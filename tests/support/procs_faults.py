"""Real processes on loopback for fault injection: API servers, a private Redis, a cuttable TCP proxy.

Everything here is started by the test that uses it and killed by it; the shared Redis (6379) and
PostgreSQL are never touched. Waits poll a condition with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.support.processes import ApiNode
from tests.support.stack import free_port


async def until(condition: Callable[[], Awaitable[bool]], *, timeout: float = 20, what: str = "condition") -> None:
    """Poll `condition` until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await condition():
                return
        except (OSError, httpx.HTTPError, ConnectionError, RedisError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.05)


@dataclass
class ApiProcess(ApiNode):
    """An API node started from async tests: `await start()` returns once it answers `/healthz`."""

    name: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # its own log file

    async def start(self) -> None:  # type: ignore[override]
        super().start()

        async def healthy() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API process exited: {self.log.read_text()[-2000:]}")
            async with httpx.AsyncClient(timeout=1) as http:
                return (await http.get(f"{self.base_url}/healthz")).status_code == 200

        try:
            await until(healthy, what=f"API on port {self.port} answering")
        except BaseException:
            self.kill()
            raise


@dataclass
class RedisServer:
    """A private redis-server with its data in `directory`, so it can be killed and brought back."""

    directory: Path
    appendonly: bool = True
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        client = Redis.from_url(self.url)
        try:
            await until(lambda: client.ping(), what=f"redis on {self.port} answering")
        except BaseException:
            self.kill()  # never leave a server behind
            raise
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


class TcpProxy:
    """Forwards a loopback port to a target; `cut()` refuses new connections and drops open ones,
    as a network partition would, and `restore()` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(dst)
            dst.close()

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()
        for task in list(self._pipes):
            task.cancel()
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        await self.start()


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (from /proc: the tests run on Linux)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while being read
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
