"""Whether the live responder index is whole, or being rebuilt after Redis lost it.

Positions live only in Redis. When Redis restarts without its data (or is flushed) every position
is gone, yet the responders are still connected: each API process holds the last position of every
socket it serves and writes them back. Until it has, a phase that fires finds nobody, and an
incident with responders all around it is exhausted with 0 alerted. So:

- A generation key marks the index's data. It vanishes with the data; whoever misses it first
  (an API process, or a phase about to fire) makes a new one, with the time it was made.
- Each API process heartbeats into a set of live nodes, and after writing back its sockets'
  positions for a generation, marks that generation done.
- A phase may fire once every live node has marked the current generation; a generation made
  after a loss first waits `settle_s`, long enough for every node to heartbeat again (the node set
  was lost too). It never waits longer than `max_wait_s`: a node that cannot republish does not
  stop alerting, it only leaves its responders out.
- A generation made by an API process at start-up, with no data lost, needs no settling.
"""

from __future__ import annotations

import uuid

from alerting.live.keys import Keys
from alerting.live.redis_client import LiveRedis

LOST, STARTED = "lost", "started"


class IndexGeneration:
    def __init__(self, redis: LiveRedis, keys: Keys, *, heartbeat_s: float, max_wait_s: float):
        self._redis = redis
        self._keys = keys
        self._key = keys.index_generation()
        self._nodes = keys.index_nodes()
        self.heartbeat_s = heartbeat_s
        self.settle_s = 2 * heartbeat_s + 0.5
        self.max_wait_s = max_wait_s
        self._ready: str | None = None  # the generation this process last found whole: one GET after

    async def current(self, now: float, *, origin: str = LOST) -> tuple[str, float, str]:
        """(id, made at, origin) of the generation, made now when there is none."""
        raw = await self._redis.get(self._key)
        if raw is None:
            made = f"{uuid.uuid4().hex}:{now!r}:{origin}"
            await self._redis.set(self._key, made, nx=True)
            raw = await self._redis.get(self._key) or made
        gen_id, made_at, how = (raw.decode() if isinstance(raw, bytes) else raw).split(":")
        return gen_id, float(made_at), how

    async def heartbeat(self, node: str, now: float) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self._nodes, {node: now})
            pipe.zremrangebyscore(self._nodes, "-inf", now - 3 * self.heartbeat_s)
            await pipe.execute()

    async def mark_republished(self, gen_id: str, node: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(self._keys.index_republished(gen_id), node)
            pipe.expire(self._keys.index_republished(gen_id), 86_400)
            await pipe.execute()

    async def leave(self, node: str) -> None:
        await self._redis.zrem(self._nodes, node)

    async def ready(self, now: float) -> bool:
        """Whether a phase may search the index now (see the module's docstring)."""
        gen_id, made_at, how = await self.current(now)
        if gen_id == self._ready:
            return True
        age = now - made_at
        if age < self.max_wait_s:
            if how == LOST and age < self.settle_s:
                return False
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zrangebyscore(self._nodes, now - 3 * self.heartbeat_s, "+inf")
                pipe.smembers(self._keys.index_republished(gen_id))
                alive, done = await pipe.execute()
            if not set(alive) <= set(done):
                return False
        self._ready = gen_id
        return True
