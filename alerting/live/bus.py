"""The live bus: Redis pub/sub, one channel per responder and one per trust.

Pub/sub is at-most-once, which is enough because it is never the record: every alert is in SQL
before it is published, a reconnecting client gets its open alerts in `ready.pending`, and an
alert not acknowledged in time also goes out by push. A node subscribes only to the channels of
the responders connected to it, so Redis routes each frame to the nodes that need it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from alerting.live.keys import Keys

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], Awaitable[None] | None]
# A message on a responder's channel for the processes holding their sockets, never for the app:
# send what is queued, then close (the responder was suspended or erased).
END_SOCKETS = "_end_sockets"
# A message on an alerter's channel: their incident changed (`incident_id`); the process holding
# their socket reads what help is coming and sends it (alerting/realtime/alerter_follow.py).
HELP_CHANGED = "_help_changed"


class Bus:
    def __init__(self, redis: Redis, keys: Keys):
        self._redis = redis
        self.keys = keys

    async def end_responder_sockets(self, trust: str, responder_id: str) -> None:
        """Published after the stand-down frames, so every socket sends those before it closes."""
        await self._redis.publish(self.keys.responder_channel(trust, responder_id), json.dumps({"type": END_SOCKETS}))

    async def end_alerter_sockets(self, trust: str, alerter_id: str) -> None:
        """Closes the alerter's sockets (suspended), after what was published to them before."""
        await self._redis.publish(self.keys.alerter_channel(trust, alerter_id), json.dumps({"type": END_SOCKETS}))

    async def help_changed(self, trust: str, alerter_id: str, incident_id: str) -> None:
        await self._redis.publish(self.keys.alerter_channel(trust, alerter_id), json.dumps(_help(incident_id)))

    def help_changed_in(self, pipe: Pipeline, trust: str, alerter_id: str, incident_id: str) -> None:
        pipe.publish(self.keys.alerter_channel(trust, alerter_id), json.dumps(_help(incident_id)))

    def to_alerter_in(self, pipe: Pipeline, trust: str, alerter_id: str, frame: dict[str, Any]) -> None:
        pipe.publish(self.keys.alerter_channel(trust, alerter_id), json.dumps(frame))

    async def to_trust(self, trust: str, event: dict[str, Any]) -> None:
        await self._redis.publish(self.keys.trust_channel(trust), json.dumps(event))

    def to_responder_in(self, pipe: Pipeline, trust: str, responder_id: str, frame: dict[str, Any]) -> None:
        """Queued on the caller's pipeline; its result is how many processes hold a socket for the
        responder (0: nobody will see it live)."""
        pipe.publish(self.keys.responder_channel(trust, responder_id), json.dumps(frame))

    def to_trust_in(self, pipe: Pipeline, trust: str, event: dict[str, Any]) -> None:
        pipe.publish(self.keys.trust_channel(trust), json.dumps(event))


def _help(incident_id: str) -> dict[str, Any]:
    return {"type": HELP_CHANGED, "incident_id": incident_id}


class Subscriber:
    """One pub/sub connection per process; channels come and go as sockets connect and leave."""

    def __init__(self, redis: Redis, keys: Keys, handler: Handler):
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self._keepalive = keys.keepalive_channel()
        self._handler = handler
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # redis-py's listener needs one subscription before it will read; a private channel serves.
        await self._pubsub.subscribe(self._keepalive)
        self._task = asyncio.create_task(self._run(), name="bus-subscriber")

    async def subscribe(self, *channels: str) -> None:
        await self._pubsub.subscribe(*channels)

    async def unsubscribe(self, *channels: str) -> None:
        await self._pubsub.unsubscribe(*channels)

    async def _run(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bus subscriber lost its connection; resubscribing")
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            try:
                result = self._handler(channel, json.loads(message["data"]))
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("bus handler failed", extra={"channel": channel})

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._pubsub.aclose()
