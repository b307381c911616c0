"""Writes the positions of this process's sockets back into the live index when Redis lost it.

Every `index_heartbeat_s` the process says it is alive and reads the index generation
(live/index_generation.py). A generation it has not written back for means Redis came back
without its data (or this process just started): the last position and availability of every
socket held here, with the profile from SQL, go back into the index, and the generation is marked
done, which lets waiting phases fire. Positions keep the time they were reported, so an old one
still ages out as the policy says.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from alerting.live.index_generation import LOST, STARTED
from alerting.realtime.registry import Connection, Registry
from alerting.services import trusts
from alerting.services.context import Services
from alerting.services.unit_of_work import reading
from geo.index import LocationUpdate, Profile

log = logging.getLogger(__name__)
_CHUNK = 500


def _reported_at(conn: Connection) -> float:
    return conn.position[3] if conn.position is not None else float("-inf")


class Republisher:
    def __init__(self, services: Services, registry: Registry):
        self.services = services
        self.registry = registry
        self.node = uuid.uuid4().hex
        self._done: str | None = None  # the generation written back for
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.tick(origin=STARTED)
        self._task = asyncio.create_task(self._run(), name="index-republisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(RedisError, OSError):
            await self.services.generation.leave(self.node)

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.services.generation.heartbeat_s)
            try:
                await self.tick()
                if failing:
                    log.info("live index reachable again", extra={"node": self.node})
                failing = False
            except (RedisError, OSError, SQLAlchemyError):
                if not failing:  # once per outage, not once a second
                    log.warning("live index check failed; retrying", exc_info=True, extra={"node": self.node})
                failing = True

    async def tick(self, *, origin: str = LOST) -> None:
        generation, now = self.services.generation, self.services.clock()
        await generation.heartbeat(self.node, now)
        gen_id, _, _ = await generation.current(now, origin=origin)
        if gen_id == self._done:
            return
        count = await self.republish(self.registry.connections())
        await generation.mark_republished(gen_id, self.node)
        if self._done is not None or count:
            log.warning(
                "live index rebuilt from this process's sockets", extra={"node": self.node, "responders": count}
            )
        self._done = gen_id

    async def republish(self, conns: list[Connection]) -> int:
        """Profiles from SQL, then positions: a position for a responder with no profile is refused."""
        latest: dict[str, dict[str, Connection]] = defaultdict(dict)
        for c in conns:
            if c.ended is not None or (c.position is None and c.available is None):
                continue
            seen = latest[c.trust_id].get(c.responder_id)
            if seen is None or _reported_at(c) >= _reported_at(seen):  # of two sockets, the newer position
                latest[c.trust_id][c.responder_id] = c
        count = 0
        for trust_id, by_responder in latest.items():
            ids = list(by_responder)
            for i in range(0, len(ids), _CHUNK):
                count += await self._trust_chunk(trust_id, {rid: by_responder[rid] for rid in ids[i : i + _CHUNK]})
        return count

    async def _trust_chunk(self, trust_id: str, conns: dict[str, Connection]) -> int:
        index, now = self.services.index, self.services.clock()
        async with reading(self.services) as session:
            found = await trusts.index_profiles(session, trust_id=trust_id, responder_ids=list(conns))
        profiles = [Profile(p.responder_id, p.groups, p.active, conns[p.responder_id].available) for p in found]
        if not profiles:
            return 0
        updates = []
        for p in profiles:
            position = conns[p.responder_id].position
            if position is not None:
                updates.append(LocationUpdate(p.responder_id, *position))
        await index.load_many(trust_id, profiles, updates, now=now)  # each record written once
        return len(profiles)
