"""The live responder index on Redis: who is near, free, fresh and in the right group.

Only available, active responders with a position are listed, in one GEO key per trust, group
and time bucket (see `geo.index_lua` for the layout and the write script). A query searches
only the buckets young enough for the trust's `location_max_age_s`, so its cost never grows with
unavailable, stale or other-group responders; and it searches in growing rings with COUNT, so it
does not sort everyone inside a wide circle when only the nearest few are wanted.

Distances and the final order come from `geo.distance.haversine_m` on the exact coordinates kept
beside the GEO keys (Redis stores a 52-bit geohash and measures on a slightly larger sphere), so
results are exactly those of a brute-force haversine filter: nearest first, ties by id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from geo.distance import M_PER_DEG_LAT, haversine_m
from geo.index_lua import MAX_GEO_LAT, SCRIPT

# Redis measures on a 6,372,797.56 m sphere (ours is 6,371,008.8 m: 1.00028x) from a position
# rounded to its geohash cell (< 0.5 m): these bound Redis's distance from ours, both ways.
REDIS_SCALE = 1.0003
REDIS_SLACK_M = 1.0
FIRST_RING_M = 250.0
RING_GROWTH = 4.0
BATCH = 1000  # updates per script call: a burst is a few pipelined calls, not one round trip each
DEFAULT_RETENTION_S = 86_400  # the longest location_max_age_s a policy may set


@dataclass(frozen=True, slots=True)
class Hit:
    responder_id: str
    distance_m: float
    lat: float
    lon: float
    groups: tuple[str, ...]  # those of the searched groups the responder is listed in


@dataclass(frozen=True, slots=True)
class LocationUpdate:
    responder_id: str
    lat: float
    lon: float
    accuracy_m: float | None
    at: float


@dataclass(frozen=True, slots=True)
class Profile:
    responder_id: str
    groups: tuple[str, ...]
    active: bool
    available: bool | None = None  # None keeps the current availability (available when new)


@dataclass(frozen=True, slots=True)
class _Pos:
    lat: float
    lon: float
    at: float


def _bucket(at: float, bucket_s: int) -> int:
    return math.floor(at / bucket_s)  # the same expression as the Lua script, so both agree


class ResponderIndex:
    def __init__(self, redis: Redis, *, prefix: str, bucket_s: int = 300, retention_s: int = DEFAULT_RETENTION_S):
        if retention_s < bucket_s:
            raise ValueError("retention_s must be at least one bucket")
        self.r = redis
        self.prefix = prefix
        self.bucket_s = bucket_s
        self.retention_s = retention_s
        self._script = redis.register_script(SCRIPT)

    # --- keys -------------------------------------------------------------------------------

    def base(self, trust: str) -> str:
        return f"{self.prefix}{{t:{trust}}}:ix:"

    def _search_keys(self, trust: str, groups: Iterable[str], max_age_s: float, now: float,
                     kind: str) -> list[tuple[str, str]]:
        """(group, key) for every bucket that may hold a position no older than max_age_s."""
        base = self.base(trust)
        oldest = _bucket(now - max_age_s, self.bucket_s)
        newest = _bucket(now, self.bucket_s) + 1  # a clock a little ahead on another node
        return [(g, f"{base}{kind}:{g}:{b}") for g in dict.fromkeys(groups) for b in range(oldest, newest + 1)]

    # --- writes -----------------------------------------------------------------------------

    async def _run(self, trust: str, op: str, rows: Sequence[Sequence[str]], now: float) -> list[str]:
        keys = [self.base(trust) + "prof", self.base(trust) + "pos"]
        head = [self.base(trust), str(self.bucket_s), str(self.retention_s), repr(float(now)), op]
        unknown: list[str] = []
        if len(rows) <= BATCH:
            unknown += await self._script(keys=keys, args=head + [v for row in rows for v in row])
        else:
            async with self.r.pipeline(transaction=False) as pipe:
                for i in range(0, len(rows), BATCH):
                    await self._script(keys=keys, args=head + [v for row in rows[i:i + BATCH] for v in row], client=pipe)
                for part in await pipe.execute():
                    unknown += part
        return [u.decode() if isinstance(u, bytes) else u for u in unknown]

    async def set_profile(self, trust: str, responder: str, *, groups: Sequence[str], active: bool,
                          available: bool | None = None, now: float) -> None:
        await self.set_profiles(trust, [Profile(responder, tuple(groups), active, available)], now=now)

    async def set_profiles(self, trust: str, profiles: Sequence[Profile], *, now: float) -> None:
        """Groups and status from SQL, mirrored here so a query never needs the database."""
        rows = []
        for p in profiles:
            if any("," in g or not g for g in p.groups):
                raise ValueError(f"group ids may not be empty or contain ',': {p.groups!r}")
            rows.append((p.responder_id, "1" if p.active else "0",
                         "" if p.available is None else ("1" if p.available else "0"), ",".join(dict.fromkeys(p.groups))))
        await self._run(trust, "prof", rows, now)

    async def upsert(self, trust: str, responder: str, lat: float, lon: float, accuracy_m: float | None,
                     at: float) -> bool:
        """False when the responder has no profile here (never registered, or erased)."""
        return not await self.upsert_many(trust, [LocationUpdate(responder, lat, lon, accuracy_m, at)])

    async def upsert_many(self, trust: str, updates: Sequence[LocationUpdate]) -> list[str]:
        """Write a burst of positions in pipelined script calls; returns the ids with no profile."""
        rows = [(u.responder_id, repr(float(u.lat)), repr(float(u.lon)),
                 "-" if u.accuracy_m is None else repr(float(u.accuracy_m)), repr(float(u.at))) for u in updates]
        now = max((u.at for u in updates), default=0.0)
        return await self._run(trust, "loc", rows, now)

    async def set_available(self, trust: str, responder: str, available: bool, *, now: float) -> bool:
        """Unavailable leaves the searched keys at once. False when the responder is unknown here."""
        return not await self._run(trust, "avail", [(responder, "1" if available else "0")], now)

    async def remove(self, trust: str, responder: str) -> None:
        await self._run(trust, "remove", [(responder,)], 0.0)

    # --- reads ------------------------------------------------------------------------------

    async def position(self, trust: str, responder: str) -> tuple[float, float, float] | None:
        raw = await self.r.hget(self.base(trust) + "pos", responder)
        if raw is None:
            return None
        p = _parse_pos(raw)
        return p.lat, p.lon, p.at

    async def nearest(self, trust: str, lat: float, lon: float, *, radius_m: float, groups: Iterable[str], limit: int,
                      exclude: Iterable[str] = (), max_age_s: float, now: float) -> list[Hit]:
        """The `limit` nearest available, active responders of `groups` within `radius_m` whose
        position is no older than `max_age_s`, nearest first, ties by id."""
        groups = list(dict.fromkeys(groups))
        if limit <= 0 or not groups:
            return []
        search = _Search(self, trust, lat, lon, groups, set(exclude), max_age_s, now, radius_m)
        await search.polar()
        counts = {key: limit + len(search.exclude) + 8 for _, key in search.geo_keys}
        ring = min(radius_m, FIRST_RING_M)
        while True:
            horizon = await search.ring(ring, counts)
            found = sorted(search.within(min(horizon, radius_m)), key=lambda h: (h.distance_m, h.responder_id))
            if len(found) >= limit or (horizon >= ring >= radius_m):
                return found[:limit]
            if horizon < ring:  # a key was cut short by COUNT before the ring's edge: ask it for more
                for key in search.truncated:
                    counts[key] *= 2
            else:
                ring = min(radius_m, ring * RING_GROWTH)

    async def counts_near(self, trust: str, lat: float, lon: float, *, radius_m: float, groups: Iterable[str],
                          max_age_s: float, now: float) -> dict[str, int]:
        """How many available, active, fresh responders of each group are within the radius."""
        search = _Search(self, trust, lat, lon, list(groups), set(), max_age_s, now, radius_m)
        await search.polar()
        await search.ring(radius_m, None)
        counts: dict[str, int] = {}
        for hit in search.within(radius_m):
            for g in hit.groups:
                counts[g] = counts.get(g, 0) + 1
        return dict(sorted(counts.items()))



def _parse_pos(raw: bytes | str) -> _Pos:
    text = raw.decode() if isinstance(raw, bytes) else raw
    lat, lon, at, _ = text.split(" ", 3)
    return _Pos(float(lat), float(lon), float(at))


class _Search:
    """One query's state across rings: positions already read, candidates found, keys cut short."""

    def __init__(self, index: ResponderIndex, trust: str, lat: float, lon: float, groups: list[str],
                 exclude: set[str], max_age_s: float, now: float, radius_m: float):
        self.index, self.r = index, index.r
        self.lat, self.lon, self.radius_m = lat, lon, radius_m
        self.exclude, self.cutoff = exclude, now - max_age_s
        self.geo_keys = index._search_keys(trust, groups, max_age_s, now, "g")
        self.polar_keys = index._search_keys(trust, groups, max_age_s, now, "p")
        self.pos_key = index.base(trust) + "pos"
        # Redis GEO cannot search from beyond +-85.05 degrees: search from the nearest point it
        # can, with the radius widened by the offset (the triangle inequality keeps it a superset).
        self.q_lat = max(-MAX_GEO_LAT, min(MAX_GEO_LAT, lat))
        self.offset = haversine_m(lat, lon, self.q_lat, lon)
        self.positions: dict[str, _Pos | None] = {}
        self.distances: dict[str, float] = {}
        self.groups_of: dict[str, set[str]] = {}
        self.truncated: list[str] = []

    def _redis_radius(self, ring: float) -> float:
        return (ring + self.offset) * REDIS_SCALE + REDIS_SLACK_M

    async def _read_positions(self, ids: Iterable[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i not in self.positions]
        if missing:
            for rid, raw in zip(missing, await self.r.hmget(self.pos_key, missing)):
                self.positions[rid] = None if raw is None else _parse_pos(raw)

    async def polar(self) -> None:
        """Positions beyond Redis GEO's latitudes sit in plain sets, read whole (they are few)."""
        reach = (self.radius_m + REDIS_SLACK_M) / M_PER_DEG_LAT * 1.01
        if abs(self.lat) + reach < MAX_GEO_LAT:
            return
        async with self.r.pipeline(transaction=False) as pipe:
            for _, key in self.polar_keys:
                pipe.smembers(key)
            results = await pipe.execute()
        for (group, _), members in zip(self.polar_keys, results):
            for m in members:
                self.groups_of.setdefault(m.decode(), set()).add(group)
        await self._read_positions(self.groups_of)

    async def ring(self, ring: float, counts: dict[str, int] | None) -> float:
        """Search every key within `ring` (COUNT-limited when counts are given); returns the
        distance up to which every listed responder has now been seen."""
        radius = self._redis_radius(ring)
        async with self.r.pipeline(transaction=False) as pipe:
            for _, key in self.geo_keys:
                pipe.geosearch(key, longitude=self.lon, latitude=self.q_lat, radius=radius, unit="m",
                               sort="ASC", count=None if counts is None else counts[key], withdist=True)
            results = await pipe.execute()
        horizon = ring
        self.truncated = []
        for (group, key), rows in zip(self.geo_keys, results):
            for member, _ in rows:
                self.groups_of.setdefault(member.decode(), set()).add(group)
            if counts is not None and rows and len(rows) >= counts[key]:
                self.truncated.append(key)
                seen_to = (rows[-1][1] - REDIS_SLACK_M) / REDIS_SCALE - self.offset
                horizon = min(horizon, math.nextafter(seen_to, -math.inf))
        await self._read_positions(self.groups_of)
        return horizon

    def within(self, limit_m: float) -> list[Hit]:
        out = []
        for rid, groups in self.groups_of.items():
            p = self.positions.get(rid)
            if p is None or rid in self.exclude or p.at < self.cutoff:
                continue
            d = self.distances.get(rid)
            if d is None:
                d = self.distances[rid] = haversine_m(self.lat, self.lon, p.lat, p.lon)
            if d <= limit_m:
                out.append(Hit(rid, d, p.lat, p.lon, tuple(sorted(groups))))
        return out
