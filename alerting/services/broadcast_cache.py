"""What an API process remembers until any process commits a change to it.

The process that commits the change empties its own copy at once and tells the others by a message
on Redis (classic pub/sub, not the bus's sharded kind: the message is for every process, so on a
Redis Cluster its broadcast to every shard is what is wanted, and it is rare). A process that loses
its subscription remembers nothing until it holds one again, since it may have missed a message.
Subclasses say what is remembered and how it is emptied (`clear`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from alerting.live.redis_client import LiveRedis

log = logging.getLogger(__name__)


class BroadcastCache:
    """Off until `start`: only a process that hears the other processes' changes may remember."""

    def __init__(self, redis: LiveRedis, channel: str, *, name: str):
        self._redis = redis
        self._channel = channel
        self._name = name
        self._listener: asyncio.Task[None] | None = None
        self._listening = False

    @property
    def enabled(self) -> bool:
        return self._listening

    def clear(self) -> None:
        raise NotImplementedError

    async def changed(self) -> None:
        """A commit changed what is remembered: every process forgets it."""
        self.clear()
        try:
            await self._redis.publish(self._channel, b"1")
        except Exception:  # the other processes' own checks (lifetime, guard) cover a lost message
            log.exception("could not tell the other processes that %s changed", self._name)

    async def start(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        self._listening = True
        self._listener = asyncio.create_task(self._listen(pubsub), name=f"{self._name}-cache")

    async def _listen(self, pubsub: Any) -> None:
        try:
            while True:
                try:
                    message = await pubsub.get_message(timeout=1.0)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self._listening = False  # it may have missed a change: remember nothing meanwhile
                    self.clear()
                    log.exception("the %s cache lost its subscription; resubscribing", self._name)
                    await asyncio.sleep(0.5)
                    continue
                if not self._listening:  # get_message reconnected and subscribed again
                    self.clear()
                    self._listening = True
                if message is not None and message.get("type") == "message":
                    self.clear()
        finally:
            await pubsub.aclose()

    async def stop(self) -> None:
        self._listening = False
        self.clear()
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except asyncio.CancelledError:
                pass
