"""uvicorn's sans-I/O websocket protocol, with the state it keeps per connection sized for thousands
of idle sockets in one process.

uvicorn (`websockets-sansio`, what `ws="auto"` picks) keeps, for a connection's whole life, an
`asyncio.Queue` for the few messages between the network and the app (three deques and an
`Event`: ~3.3 KB), an `asyncio.Event` for write flow control (~0.9 KB), and the handshake: the
parsed request (held by uvicorn and by the `websockets` parser's suspended generator) and the 101
response, each with its headers (~4 KB). An idle responder socket needs none of it. This subclass
changes only those: a list and one waiting future instead of the queue (uvicorn stops reading a
socket after each message until the app has taken it, so it holds one or two), a flag that makes
a future only while the transport's buffer is full, and the handshake dropped once the 101 has
gone out. Everything else (keepalive pings and the pong deadline, closing, shutdown, flow control)
is uvicorn's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import Protocol, State

__all__ = ["LeanWebSocketProtocol"]


class _Inbox:
    """The messages uvicorn has read and the app has not yet taken; one consumer (the app's receive)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    async def get(self) -> Any:
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class _Writable:
    """Open unless the transport paused writing; a future exists only for a sender waiting while paused."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        if self._open:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """Pass as uvicorn's `ws` (the class itself, not a name).

    uvicorn's protocol sets 37 attributes; above 30, CPython gives up the compact per-instance
    value array shared by all instances of a class and builds each one a full dict (~1.6 KB).
    The per-connection state below lives in slots instead (every one is set in `__init__` or
    before it is read), which leaves 22 in the instance's compact values (~0.4 KB in all)."""

    __slots__ = (
        "queue",
        "writable",
        "frames",
        "curr_msg_data_type",
        "read_paused",
        "initial_response",
        "close_timer",
        "ping_timer",
        "pong_timer",
        "pending_ping_payload",
        "ping_sent_at",
        "last_ping_rtt",
        "request",
        "response",
        "scope",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Writable()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            self._forget_handshake()

    def _forget_handshake(self) -> None:
        """After the 101: neither the request nor the response is read again, by uvicorn or the app
        (the scope keeps the headers the app sees). `websockets`' server parser keeps the request
        in its suspended frame, so it is replaced with a fresh frame parser on the same stream;
        a client sends nothing before the 101, so at this point the parser waits at a frame's start
        (if bytes did arrive early, the parser is left alone)."""
        self.request = None  # type: ignore[assignment]
        self.response = None  # type: ignore[assignment]
        conn = self.conn
        if conn.state is not State.OPEN or conn.reader.buffer:
            return
        conn.parser.close()
        conn.parser = Protocol.parse(conn)
        next(conn.parser)
