"""A CAD-side webhook receiver: verifies signatures, dedupes on the delivery id, keeps what came.

It is the receiving half of the reference CAD simulator and what the tests point callbacks at: a
real HTTP server on loopback (uvicorn), so deliveries travel the same path as to a real CAD.
`respond` lets a caller decide the status of each verified attempt (a flaky CAD answers 500).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dispatch_adapter.signing import DELIVERY_HEADER, EVENT_HEADER, HEADER, SignatureError, verify

__all__ = ["Attempt", "WebhookReceiver"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST as it arrived, whatever the receiver answered."""

    delivery_id: str | None
    event: str | None
    verified: bool
    status: int
    received_at: float
    body: dict[str, Any] | None
    signature: str | None
    raw: bytes = b""
    error: str | None = None


@dataclass
class WebhookReceiver:
    keys: Sequence[str]
    respond: Callable[[Attempt], int] | None = None
    tolerance_s: float = 300
    attempts: list[Attempt] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # acknowledged, deduped, in arrival order
    delivery_ids: list[str | None] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task | None = None
    url: str | None = None

    def _verify(self, header: str | None, body: bytes) -> str | None:
        """None if any of our keys verifies the header, else why not."""
        reason = "no key configured"
        for key in self.keys:
            try:
                verify(header, body, key, now=time.time(), tolerance_s=self.tolerance_s)
                return None
            except SignatureError as exc:
                reason = str(exc)
        return reason

    async def _handle(self, request: Request) -> JSONResponse:
        raw = await request.body()
        header = request.headers.get(HEADER)
        error = self._verify(header, raw)
        delivery_id, event = request.headers.get(DELIVERY_HEADER), request.headers.get(EVENT_HEADER)
        try:
            body = json.loads(raw)
        except ValueError:
            body, error = None, error or "the body is not JSON"
        attempt = Attempt(delivery_id, event, error is None, 0, time.time(), body, header, raw, error)
        if error is not None:
            status = 401
        elif self.respond is not None:
            status = self.respond(attempt)
        else:
            status = 200
        attempt = Attempt(delivery_id, event, error is None, status, attempt.received_at, body, header, raw, error)
        async with self._changed:
            self.attempts.append(attempt)
            if 200 <= status < 300 and delivery_id not in self.delivery_ids:
                self.delivery_ids.append(delivery_id)
                self.events.append(body)
            self._changed.notify_all()
        return JSONResponse({"ok": 200 <= status < 300, "error": error}, status_code=status)

    async def start(self, host: str = "127.0.0.1") -> str:
        sock = socket.socket()
        sock.bind((host, 0))
        app = Starlette(routes=[Route("/webhooks", self._handle, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off", access_log=False))
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        self.url = f"http://{host}:{sock.getsockname()[1]}/webhooks"
        return self.url

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.wait_for(self._task, 10)

    async def wait_for(self, predicate: Callable[[WebhookReceiver], bool], timeout: float) -> None:
        """Until `predicate(self)` holds after some delivery, or TimeoutError."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self))

        await asyncio.wait_for(until(), timeout)
