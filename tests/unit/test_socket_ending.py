"""How a responder socket's reader ends when its sending side does (it reads in the handler's own task)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from alerting.realtime.gateway import _serve
from alerting.realtime.registry import CLOSE_TOO_SLOW, TOO_SLOW, Connection


class FakeSocket:
    """Incoming text from a queue; sends wait on `sending` (a client that does not read) or fail with `fail`."""

    def __init__(self, fail: Exception | None = None):
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.sending = asyncio.Event()
        self.fail = fail
        self.sent: list[str] = []
        self.closed: int | None = None

    async def receive(self) -> dict:
        """ASGI messages, as Starlette's WebSocket.receive returns them."""
        text = await self.incoming.get()
        if text is None:
            return {"type": "websocket.disconnect", "code": 1000}
        return {"type": "websocket.receive", "text": text}

    async def send_text(self, text: str) -> None:
        if self.fail is not None:
            raise self.fail
        await self.sending.wait()
        self.sent.append(text)

    async def close(self, code: int, reason: str = "") -> None:
        self.closed = code


SERVICES = SimpleNamespace(settings=SimpleNamespace(ws_max_message_bytes=4096))


def serving(ws: FakeSocket, queue_size: int) -> tuple[Connection, asyncio.Task[None]]:
    conn = Connection(ws, "channel", "r1", queue_size=queue_size)  # type: ignore[arg-type]
    return conn, asyncio.create_task(_serve(ws, SERVICES, conn, "t1", "r1"))  # type: ignore[arg-type]


async def test_a_slow_consumer_interrupts_the_read_and_is_closed_with_4008():
    ws = FakeSocket()
    conn, task = serving(ws, queue_size=2)
    await asyncio.sleep(0)
    for i in range(3):  # the first goes to the sender, which blocks; then two wait; the fourth overflows
        conn.offer({"n": i})
        await asyncio.sleep(0)
    conn.offer({"n": 3})
    await asyncio.wait_for(task, 1)  # returns: the reader's cancellation is not the task's
    assert conn.ended == TOO_SLOW and ws.closed == CLOSE_TOO_SLOW


async def test_a_reader_that_overflows_its_own_queue_stops_at_the_next_read():
    ws = FakeSocket()
    conn, task = serving(ws, queue_size=1)
    for _ in range(3):
        ws.incoming.put_nowait('{"type": "ping"}')  # each answer is a pong the client never reads
    await asyncio.wait_for(task, 1)
    assert conn.ended == TOO_SLOW and ws.closed == CLOSE_TOO_SLOW


async def test_a_failed_send_ends_the_socket_without_a_close(caplog: pytest.LogCaptureFixture):
    ws = FakeSocket(fail=ConnectionResetError("peer reset"))
    conn, task = serving(ws, queue_size=4)
    await asyncio.sleep(0)
    conn.offer({"type": "alert"})
    await asyncio.wait_for(task, 1)
    assert isinstance(conn.ended, ConnectionResetError) and ws.closed is None
    assert "socket ended with an error" in caplog.text


async def test_the_peer_leaving_ends_the_socket_quietly():
    ws = FakeSocket()
    conn, task = serving(ws, queue_size=4)
    ws.incoming.put_nowait(None)
    await asyncio.wait_for(task, 1)
    assert conn.ended is None and ws.closed is None
    conn.offer({"type": "alert"})  # after the reader stopped: queued, nothing interrupted
    assert conn.ended is None


async def test_a_cancellation_from_outside_still_cancels():
    ws = FakeSocket()
    _, task = serving(ws, queue_size=4)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
