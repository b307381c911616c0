"""Who is on their way to an incident: one small hash per tracked responder in Redis.

A hint, not the record. It is set after an accept commits and removed on arrival, stand-down or
the end of the incident (only by that incident: a stand-down from another alert leaves it), and it
expires on its own after `TRACK_TTL_S`. Every decision is taken again on the SQL state, so a stale
hint reports nothing; a hint lost with Redis is set again when the responder's app reconnects or
asks for its alerts. Its only other content is when the CAD was last told this responder's ETA
(for the rate limit), never a position: positions stay in the live index, under its retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alerting.live.keys import Keys
from alerting.live.redis_client import LivePipeline, LiveRedis, script_in

TRACK_TTL_S = 4 * 3600  # longer than any journey to a scene; a hint never outlives it

# KEYS[1] the hint; ARGV incident id, ttl. A new incident resets the hint; the same one keeps its
# last report (a reconnect must not make the next position a "first" ETA report again).
_TRACK = """
if redis.call('HGET', KEYS[1], 'incident') ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'incident', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
# KEYS[1] the hint; ARGV incident id: removed only when it is this incident's.
_UNTRACK = """
if redis.call('HGET', KEYS[1], 'incident') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# KEYS[1] the hint; ARGV incident id, the last report as read ('' for none), now, eta: one process
# wins the report when two read the same last one (a socket and an HTTP update at once).
_CLAIM = """
if redis.call('HGET', KEYS[1], 'incident') ~= ARGV[1] then return 0 end
local last = redis.call('HGET', KEYS[1], 'reported') or ''
if last ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'reported', ARGV[3])
return 1
"""


@dataclass(frozen=True, slots=True)
class Tracked:
    incident_id: str
    last: tuple[float, float] | None  # (when, eta_s) of the last ETA the CAD was told
    raw_last: str  # as stored, for `claim_report`


def _last(raw: str) -> tuple[float, float] | None:
    at, _, eta = raw.partition(" ")
    try:
        return float(at), float(eta)
    except ValueError:
        return None


class Tracking:
    def __init__(self, redis: LiveRedis, keys: Keys):
        self.r = redis
        self.keys = keys
        self._track = redis.register_script(_TRACK)
        self._untrack = redis.register_script(_UNTRACK)
        self._claim = redis.register_script(_CLAIM)

    def _key(self, trust: str, responder: str) -> str:
        return self.keys.tracking(trust, responder)

    async def track_in(self, pipe: LivePipeline, trust: str, responder: str, incident_id: str) -> None:
        """Queued on `pipe` (no round trip until it executes)."""
        await script_in(pipe, self._track, keys=[self._key(trust, responder)], args=[incident_id, TRACK_TTL_S])

    async def untrack_in(self, pipe: LivePipeline, trust: str, responder: str, incident_id: str) -> None:
        await script_in(pipe, self._untrack, keys=[self._key(trust, responder)], args=[incident_id])

    async def track(self, trust: str, responder: str, incident_id: str) -> None:
        await self._track(keys=[self._key(trust, responder)], args=[incident_id, TRACK_TTL_S])

    async def untrack(self, trust: str, responder: str, incident_id: str) -> None:
        await self._untrack(keys=[self._key(trust, responder)], args=[incident_id])

    async def lookup_many(self, trust: str, responders: Sequence[str]) -> dict[str, Tracked]:
        """The hints of those of `responders` who are tracked, in one round trip."""
        if not responders:
            return {}
        async with self.r.pipeline(transaction=False) as pipe:
            for rid in responders:
                pipe.hmget(self._key(trust, rid), ["incident", "reported"])
            rows = await pipe.execute()
        found: dict[str, Tracked] = {}
        for rid, (incident, reported) in zip(responders, rows, strict=True):
            if incident is not None:
                raw = reported.decode() if reported is not None else ""
                found[rid] = Tracked(incident.decode(), _last(raw), raw)
        return found

    async def claim_report(self, trust: str, responder: str, hint: Tracked, *, now: float, eta_s: float) -> bool:
        """Record an ETA report as made; False when another process made one since `hint` was read."""
        won = await self._claim(
            keys=[self._key(trust, responder)], args=[hint.incident_id, hint.raw_last, f"{now!r} {eta_s!r}"]
        )
        return bool(won)
