"""Which responders hold a socket on this process, and a bounded send queue per socket.

A broadcast never waits for the slowest client: frames go into each socket's own queue, and a
socket whose queue is full is closed (the app reconnects and gets its open alerts in `pending`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket
from prometheus_client import Counter

from alerting.live.bus import END_SOCKETS, HELP_CHANGED, Subscriber
from alerting.metrics import SOCKETS_OPEN
from alerting.realtime.close_codes import CloseCode

log = logging.getLogger(__name__)
CLOSED = Counter("alerting_ws_closed_total", "Responder sockets closed by the server", ["reason"])
CLOSE_TOO_SLOW = CloseCode.TOO_SLOW
TOO_SLOW = "too_slow"
CLOSE_RECONNECT = CloseCode.RECONNECT
CLOSE_WITHDRAWN = CloseCode.WITHDRAWN
WITHDRAWN = "withdrawn"


class Connection:
    """One socket's outgoing side. Idle sockets are the common case (thousands per process), so the
    send queue and the task that drains it exist only while frames are waiting. The end of the
    sending side (too slow, or the send failed) is recorded in `ended` and interrupts the socket's
    reader by cancelling its task, so the reader needs neither a task of its own nor a future to
    wait on beside the read."""

    __slots__ = (
        "ws",
        "channel",
        "responder_id",
        "trust_id",
        "queue_size",
        "ended",
        "position",
        "available",
        "on_help_changed",
        "_frames",
        "_sender",
        "_reader",
        "_closing",
    )

    def __init__(self, ws: WebSocket, channel: str, responder_id: str, *, queue_size: int, trust_id: str = ""):
        self.ws = ws
        self.channel = channel
        self.responder_id = responder_id
        self.trust_id = trust_id
        self.queue_size = queue_size
        # The last position (lat, lon, accuracy_m, at) and availability this socket reported: what
        # this process writes back when Redis has lost the live index (realtime/republish.py).
        self.position: tuple[float, float, float | None, float] | None = None
        self.available: bool | None = None
        # An alerter's socket: told when their incident changed (the bus's HELP_CHANGED), it reads
        # the help coming and offers the frames (alerting/realtime/alerter_follow.py).
        self.on_help_changed: Callable[[str | None], None] | None = None
        self.ended: str | Exception | None = None  # TOO_SLOW, or the exception a send failed with
        self._frames: deque[str] | None = None  # created by the first frame, dropped when drained
        self._sender: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[Any] | None = None  # set between `start` and `stop`
        self._closing: str | None = None  # end with this once the queue is sent

    def end_after_sending(self, why: str) -> None:
        """End the socket once what is queued has gone out (the stand-downs before the close)."""
        if self.ended is not None:
            return
        if self._frames and self._reader is not None:
            self._closing = why
            if self._sender is None:
                self._sender = asyncio.create_task(self._send_queued())
        else:
            self._end(why)

    def offer(self, frame: dict[str, Any]) -> None:
        if self.ended is not None:
            return
        frames = self._frames
        if frames is None:
            frames = self._frames = deque()
        if len(frames) >= self.queue_size:
            self._end(TOO_SLOW)
            return
        frames.append(json.dumps(frame))
        if self._reader is not None and self._sender is None:
            self._sender = asyncio.create_task(self._send_queued())

    def start(self) -> None:
        """Frames offered so far (while `ready` was being sent) go out now, in order, and later ones as
        they come. Until `stop`, the calling task is the reader: the end of the sending side cancels
        it, unless the reader ended it itself (then it sees `ended` when it next reads)."""
        self._reader = asyncio.current_task()
        if self._frames and self._sender is None and self.ended is None:
            self._sender = asyncio.create_task(self._send_queued())

    async def stop(self) -> None:
        """Stops sending and interrupting the reader, and waits until no send is in progress."""
        self._reader = None
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    def _end(self, why: str | Exception) -> None:
        self.ended = why
        reader = self._reader
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()

    async def _send_queued(self) -> None:
        try:
            while self._frames:
                await self.ws.send_text(self._frames.popleft())
            self._frames = None
            if self._closing is not None and self.ended is None:
                self._end(self._closing)
        except Exception as exc:  # noqa: BLE001 - handed to the socket's owner through `ended`
            if self.ended is None:
                self._end(exc)
        finally:
            if self._sender is asyncio.current_task():
                self._sender = None


class Registry:
    def __init__(self) -> None:
        self._by_channel: dict[str, set[Connection]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self.subscriber: Subscriber | None = None

    def __len__(self) -> int:
        return sum(len(c) for c in self._by_channel.values())

    def connections(self) -> list[Connection]:
        return [c for conns in self._by_channel.values() for c in conns]

    async def add(self, conn: Connection) -> None:
        async with self._lock:
            first = not self._by_channel[conn.channel]
            self._by_channel[conn.channel].add(conn)
            SOCKETS_OPEN.inc()
            if first and self.subscriber is not None:
                await self.subscriber.subscribe(conn.channel)

    async def remove(self, conn: Connection) -> None:
        async with self._lock:
            conns = self._by_channel.get(conn.channel)
            if not conns or conn not in conns:
                return
            SOCKETS_OPEN.dec()
            conns.discard(conn)
            if not conns:
                del self._by_channel[conn.channel]
                if self.subscriber is not None:
                    await self.subscriber.unsubscribe(conn.channel)

    def count(self, channel: str) -> int:
        return len(self._by_channel.get(channel, ()))

    def deliver(self, channel: str, frame: dict[str, Any]) -> None:
        if frame.get("type") == END_SOCKETS:
            for conn in list(self._by_channel.get(channel, ())):
                conn.end_after_sending(WITHDRAWN)
            return
        if frame.get("type") == HELP_CHANGED:
            for conn in list(self._by_channel.get(channel, ())):
                if conn.on_help_changed is not None:
                    conn.on_help_changed(frame.get("incident_id"))
            return
        for conn in list(self._by_channel.get(channel, ())):
            conn.offer(frame)
