"""The live bus: sharded Redis pub/sub, one channel per responder and one per trust.

Pub/sub is at-most-once, which is enough because it is never the record: every alert is in SQL
before it is published, a reconnecting client gets its open alerts in `ready.pending`, and an
alert not acknowledged in time also goes out by push. A node subscribes only to the channels of
the responders connected to it, so Redis routes each frame to the nodes that need it.

Sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7) rather than the classic kind: on a Redis Cluster a
classic PUBLISH is broadcast over the cluster bus to every shard, so each frame costs every master;
a sharded one stays on the shard that owns the channel's slot (a trust's channels share its slot).
On a single Redis the two behave alike, so one code path serves both, tested by every test.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import RedisCluster
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub
from redis.exceptions import AskError, MovedError

from alerting.live.keys import Keys
from alerting.live.redis_client import LivePipeline, LiveRedis

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], Awaitable[None] | None]
# A message on a responder's channel for the processes holding their sockets, never for the app:
# send what is queued, then close (the responder was suspended or erased).
END_SOCKETS = "_end_sockets"
# A message on an alerter's channel: their incident changed (`incident_id`); the process holding
# their socket reads what help is coming and sends it (alerting/realtime/alerter_follow.py).
HELP_CHANGED = "_help_changed"
READ_TIMEOUT_S = 1.0


class Bus:
    def __init__(self, redis: LiveRedis, keys: Keys):
        self._redis = redis
        self.keys = keys

    async def end_responder_sockets(self, trust: str, responder_id: str) -> None:
        """Published after the stand-down frames, so every socket sends those before it closes."""
        await self._redis.spublish(self.keys.responder_channel(trust, responder_id), json.dumps({"type": END_SOCKETS}))

    async def end_alerter_sockets(self, trust: str, alerter_id: str) -> None:
        """Closes the alerter's sockets (suspended), after what was published to them before."""
        await self._redis.spublish(self.keys.alerter_channel(trust, alerter_id), json.dumps({"type": END_SOCKETS}))

    async def help_changed(self, trust: str, alerter_id: str, incident_id: str) -> None:
        await self._redis.spublish(self.keys.alerter_channel(trust, alerter_id), json.dumps(_help(incident_id)))

    def help_changed_in(self, pipe: LivePipeline, trust: str, alerter_id: str, incident_id: str) -> None:
        pipe.spublish(self.keys.alerter_channel(trust, alerter_id), json.dumps(_help(incident_id)))

    def to_alerter_in(self, pipe: LivePipeline, trust: str, alerter_id: str, frame: dict[str, Any]) -> None:
        pipe.spublish(self.keys.alerter_channel(trust, alerter_id), json.dumps(frame))

    async def to_trust(self, trust: str, event: dict[str, Any]) -> None:
        await self._redis.spublish(self.keys.trust_channel(trust), json.dumps(event))

    def to_responder_in(self, pipe: LivePipeline, trust: str, responder_id: str, frame: dict[str, Any]) -> None:
        """Queued on the caller's pipeline; its result is how many processes hold a socket for the
        responder (0: nobody will see it live)."""
        pipe.spublish(self.keys.responder_channel(trust, responder_id), json.dumps(frame))

    def to_trust_in(self, pipe: LivePipeline, trust: str, event: dict[str, Any]) -> None:
        pipe.spublish(self.keys.trust_channel(trust), json.dumps(event))


def subscription(redis: LiveRedis) -> PubSub | ClusterPubSub:
    """A pub/sub for sharded channels: on a cluster, one connection per shard holding them."""
    return redis.pubsub(ignore_subscribe_messages=True)


async def next_message(pubsub: PubSub | ClusterPubSub, *, timeout: float) -> dict[str, Any] | None:
    """The next message of a subscription made by `subscription`, or None after `timeout`."""
    if isinstance(pubsub, ClusterPubSub):
        return await pubsub.get_sharded_message(timeout=timeout)
    return await pubsub.get_message(timeout=timeout)


def channel_of(message: dict[str, Any]) -> str:
    channel = message["channel"]
    return channel.decode() if isinstance(channel, bytes) else str(channel)


def _help(incident_id: str) -> dict[str, Any]:
    return {"type": HELP_CHANGED, "incident_id": incident_id}


class Subscriber:
    """The process's subscriptions; channels come and go as sockets connect and leave.

    On a single Redis: one connection, read by one task. On a cluster, redis-py keeps one
    connection per shard that owns a subscribed channel, and moves a channel's subscription to its
    slot's new owner after a topology refresh; here one task reads each shard's connection, since a
    read that waits on one shard must not hold up frames arriving on another, and a watcher starts
    a reader for a shard that gained a connection without a subscribe of ours (a channel moved
    there). When a slot moves (a resharding) its shard drops our subscriptions with a SUNSUBSCRIBE
    we did not ask for; when a shard fails its connection errors. Either way this process refreshes
    its view of the cluster at once, so its subscriptions follow: nothing else here would (its own
    commands may never touch the moved slot). Frames published in between are lost, as any frame
    may be: SQL, `ready.pending` and push recover them.
    """

    def __init__(self, redis: LiveRedis, keys: Keys, handler: Handler):
        self._cluster = redis if isinstance(redis, RedisCluster) else None
        # On a cluster the readers see (un)subscribe messages: a SUNSUBSCRIBE nobody asked for
        # means a slot moved.
        self._pubsub = redis.pubsub(ignore_subscribe_messages=self._cluster is None)
        self._keepalive = keys.keepalive_channel()
        self._handler = handler
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._wanted: set[str] = set()
        self._refreshing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._cluster is None:
            # redis-py's listener needs one subscription before it will read; a private channel serves.
            await self._pubsub.ssubscribe(self._keepalive)
            self._readers[""] = asyncio.create_task(self._read(""), name="bus-subscriber")
        else:
            self._watcher = asyncio.create_task(self._watch_shards(), name="bus-shards")

    async def subscribe(self, *channels: str) -> None:
        self._wanted.update(channels)
        await self._pubsub.ssubscribe(*channels)
        self._start_shard_readers()

    async def unsubscribe(self, *channels: str) -> None:
        self._wanted.difference_update(channels)
        await self._pubsub.sunsubscribe(*channels)

    def _refresh_topology(self) -> None:
        """Ask the cluster who owns each slot now; redis-py then moves our subscriptions (one
        refresh at a time, however many readers noticed)."""
        if self._cluster is None or (self._refreshing is not None and not self._refreshing.done()):
            return

        async def refresh(cluster: RedisCluster) -> None:
            try:
                await cluster.nodes_manager.initialize()
            except Exception:
                log.exception("bus subscriber could not refresh the cluster's slots")

        self._refreshing = asyncio.create_task(refresh(self._cluster), name="bus-topology")

    def _shards(self) -> dict[str, PubSub]:
        """The cluster's per-shard connections that are connected (and so can be read)."""
        if not isinstance(self._pubsub, ClusterPubSub):
            return {}
        return {name: ps for name, ps in self._pubsub.node_pubsub_mapping.items() if ps.connection is not None}

    def _start_shard_readers(self) -> None:
        for name in self._shards():
            reader = self._readers.get(name)
            if reader is None or reader.done():
                self._readers[name] = asyncio.create_task(self._read(name), name=f"bus-subscriber-{name}")

    async def _watch_shards(self) -> None:
        while True:
            self._start_shard_readers()
            await asyncio.sleep(READ_TIMEOUT_S)

    async def _next(self, shard: str) -> dict[str, Any] | None:
        if self._cluster is None:
            return await self._pubsub.get_message(timeout=READ_TIMEOUT_S)
        assert isinstance(self._pubsub, ClusterPubSub)
        node = self._cluster.get_node(node_name=shard)
        if node is None or shard not in self._shards():
            raise _ShardGone  # its channels left or moved; the watcher starts it again if they return
        return await self._pubsub.get_sharded_message(target_node=node, timeout=READ_TIMEOUT_S)

    async def _read(self, shard: str) -> None:
        while True:
            try:
                message = await self._next(shard)
            except asyncio.CancelledError:
                raise
            except _ShardGone:
                return
            except (MovedError, AskError):  # an answer about a slot that moved (a SUNSUBSCRIBE there)
                self._refresh_topology()
                continue
            except Exception:
                log.exception("bus subscriber lost its connection; resubscribing", extra={"shard": shard})
                self._refresh_topology()  # a failed shard: its slots may have a new owner
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            kind = message.get("type")
            if kind == "sunsubscribe" and channel_of(message) in self._wanted:
                log.info("a shard dropped a subscription (its slot moved); following it", extra={"shard": shard})
                self._refresh_topology()
            if kind not in ("message", "smessage"):
                continue
            channel = channel_of(message)
            try:
                result = self._handler(channel, json.loads(message["data"]))
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("bus handler failed", extra={"channel": channel})

    async def stop(self) -> None:
        tasks = [t for t in (self._watcher, self._refreshing, *self._readers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self._pubsub.aclose()


class _ShardGone(Exception):
    """The shard's connection was dropped: it no longer holds any of our channels."""
