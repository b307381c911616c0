"""Which responders hold a socket on this process, and a bounded send queue per socket.

A broadcast never waits for the slowest client: frames go into each socket's own queue, and a
socket whose queue is full is closed (the app reconnects and gets its open alerts in `pending`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any

from fastapi import WebSocket
from prometheus_client import Counter, Gauge

from alerting.live.bus import Subscriber

log = logging.getLogger(__name__)
SOCKETS = Gauge("alerting_ws_connections", "Responder sockets open on this process")
CLOSED = Counter("alerting_ws_closed_total", "Responder sockets closed by the server", ["reason"])
CLOSE_TOO_SLOW = 4008
CLOSE_RECONNECT = 4012  # the server is going away: reconnect, to this or another node


class Connection:
    def __init__(self, ws: WebSocket, channel: str, responder_id: str, *, queue_size: int):
        self.ws = ws
        self.channel = channel
        self.responder_id = responder_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.overflowed = asyncio.Event()

    def offer(self, frame: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(json.dumps(frame))
        except asyncio.QueueFull:
            self.overflowed.set()

    async def pump(self) -> None:
        """Sends queued frames in order until cancelled or the socket fails."""
        while True:
            text = await self.queue.get()
            await self.ws.send_text(text)


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
            SOCKETS.inc()
            if first and self.subscriber is not None:
                await self.subscriber.subscribe(conn.channel)

    async def remove(self, conn: Connection) -> None:
        async with self._lock:
            conns = self._by_channel.get(conn.channel)
            if not conns:
                return
            if conn in conns:
                conns.discard(conn)
                SOCKETS.dec()
            if not conns:
                del self._by_channel[conn.channel]
                if self.subscriber is not None:
                    await self.subscriber.unsubscribe(conn.channel)

    def count(self, channel: str) -> int:
        return len(self._by_channel.get(channel, ()))

    def deliver(self, channel: str, frame: dict[str, Any]) -> None:
        for conn in list(self._by_channel.get(channel, ())):
            conn.offer(frame)
