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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from geo.distance import M_PER_DEG_LAT, haversine_m
from geo.index_lua import EAST_EDGE, MAX_GEO_LAT, SCRIPT, SEARCH

# Redis measures on a 6,372,797.56 m sphere (ours is 6,371,008.8 m: 1.00028x) from a position
# rounded to its geohash cell (< 0.5 m): these bound Redis's distance from ours, both ways.
REDIS_SCALE = 1.0003
REDIS_SLACK_M = 1.0
FIRST_RING_M = 250.0
RING_GROWTH = 4.0
TIE_MARGIN_M = 1e-3  # the script's distances may differ from ours in the last bits: it returns near-ties too
BATCH = 1000  # updates per script call: a burst is a few pipelined calls, not one round trip each
PIPELINE_DEPTH = 10  # script calls per pipelined round trip
_WS = re.compile(r"\s")
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
        self._search_script = redis.register_script(SEARCH)

    # --- keys -------------------------------------------------------------------------------

    def base(self, trust: str) -> str:
        return f"{self.prefix}{{t:{trust}}}:ix:"

    def _search_keys(
        self, trust: str, groups: Iterable[str], max_age_s: float, now: float, kind: str
    ) -> list[tuple[str, str]]:
        """(group, key) for every bucket that may hold a position no older than max_age_s."""
        base = self.base(trust)
        oldest = _bucket(now - max_age_s, self.bucket_s)
        newest = _bucket(now, self.bucket_s) + 1  # a clock a little ahead on another node
        return [(g, f"{base}{kind}:{g}:{b}") for g in dict.fromkeys(groups) for b in range(oldest, newest + 1)]

    # --- writes -----------------------------------------------------------------------------

    async def _run(self, trust: str, op: str, rows: Sequence[Sequence[str]], now: float) -> list[str]:
        keys = [self.base(trust) + "prof", self.base(trust) + "pos"]
        head = [self.base(trust), str(self.bucket_s), str(self.retention_s), repr(float(now)), op]
        if not rows:
            return []
        unknown: list[bytes] = []
        if len(rows) <= BATCH:
            unknown += await self._script(keys=keys, args=head + [v for row in rows for v in row])
            return [u.decode() for u in unknown]
        window = BATCH * PIPELINE_DEPTH  # bounded, so a million-row load never builds one giant write
        for start in range(0, len(rows), window):
            async with self.r.pipeline(transaction=False) as pipe:
                for i in range(start, min(len(rows), start + window), BATCH):
                    await self._script(
                        keys=keys, args=head + [v for row in rows[i : i + BATCH] for v in row], client=pipe
                    )
                for part in await pipe.execute():
                    unknown += part
        return [u.decode() for u in unknown]

    async def set_profile(
        self,
        trust: str,
        responder: str,
        *,
        groups: Sequence[str],
        active: bool,
        available: bool | None = None,
        now: float,
    ) -> None:
        await self.set_profiles(trust, [Profile(responder, tuple(groups), active, available)], now=now)

    async def set_profiles(self, trust: str, profiles: Sequence[Profile], *, now: float) -> None:
        """Groups and status from SQL, mirrored here so a query never needs the database."""
        rows = []
        for p in profiles:
            if any("," in g or not g for g in p.groups):
                raise ValueError(f"group ids may not be empty or contain ',': {p.groups!r}")
            rows.append(
                (
                    p.responder_id,
                    "1" if p.active else "0",
                    "" if p.available is None else ("1" if p.available else "0"),
                    ",".join(dict.fromkeys(p.groups)),
                )
            )
        await self._run(trust, "prof", rows, now)

    async def upsert(
        self, trust: str, responder: str, lat: float, lon: float, accuracy_m: float | None, at: float
    ) -> bool:
        """False when the responder has no profile here (never registered, or erased)."""
        return not await self.upsert_many(trust, [LocationUpdate(responder, lat, lon, accuracy_m, at)])

    async def upsert_many(self, trust: str, updates: Sequence[LocationUpdate]) -> list[str]:
        """Write a burst of positions in pipelined script calls; returns the ids with no profile."""
        newest: dict[str, LocationUpdate] = {}
        for u in updates:  # of two fixes in one burst only the newer can win: send just that one
            seen = newest.get(u.responder_id)
            if seen is None or u.at >= seen.at:
                newest[u.responder_id] = u
        if any(not u.responder_id or _WS.search(u.responder_id) for u in newest.values()):
            raise ValueError("responder ids may not be empty or contain whitespace")
        # One argument per update: encoding five per update cost more client time than Redis spent.
        rows = [
            (
                f"{u.responder_id} {float(u.lat)!r} {float(u.lon)!r} "
                f"{'-' if u.accuracy_m is None else repr(float(u.accuracy_m))} {float(u.at)!r}",
            )
            for u in newest.values()
        ]
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

    async def available(self, trust: str, responder: str) -> bool | None:
        """The responder's duty switch as the index holds it; None when it has no profile of them."""
        raw = await self.r.hget(self.base(trust) + "prof", responder)
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else raw
        return text.split("|", 2)[1] == "1"

    async def nearest(
        self,
        trust: str,
        lat: float,
        lon: float,
        *,
        radius_m: float,
        groups: Iterable[str],
        limit: int | None,
        exclude: Iterable[str] = (),
        max_age_s: float,
        now: float,
    ) -> list[Hit]:
        """The `limit` nearest available, active responders of `groups` within `radius_m` whose
        position is no older than `max_age_s`, nearest first, ties by id; `limit=None` is all of them."""
        groups = list(dict.fromkeys(groups))
        if (limit is not None and limit <= 0) or not groups:
            return []
        if limit is None:  # everyone in the radius: one full search, ordered here
            hits = await self._search(trust, lat, lon, radius_m, groups, 0, set(exclude), max_age_s, now, "count")
        else:
            hits = await self._search(trust, lat, lon, radius_m, groups, limit, set(exclude), max_age_s, now, "nearest")
        return sorted(hits, key=lambda h: (h.distance_m, h.responder_id))[:limit]

    async def counts_near(
        self,
        trust: str,
        lat: float,
        lon: float,
        *,
        radius_m: float,
        groups: Iterable[str],
        max_age_s: float,
        now: float,
    ) -> dict[str, int]:
        """How many available, active, fresh responders of each group are within the radius."""
        groups = list(dict.fromkeys(groups))
        counts: dict[str, int] = {}
        if groups:
            for hit in await self._search(trust, lat, lon, radius_m, groups, 0, set(), max_age_s, now, "count"):
                for g in hit.groups:
                    counts[g] = counts.get(g, 0) + 1
        return dict(sorted(counts.items()))

    async def _search(
        self,
        trust: str,
        lat: float,
        lon: float,
        radius_m: float,
        groups: list[str],
        limit: int,
        exclude: set[str],
        max_age_s: float,
        now: float,
        mode: str,
    ) -> list[Hit]:
        """One script call; the exact haversine filter and order are applied here, on its few rows."""
        # Redis GEO cannot search from beyond +-85.05 degrees: search from the nearest point it
        # can, with the radius widened by the offset (the triangle inequality keeps it a superset).
        q_lat = max(-MAX_GEO_LAT, min(MAX_GEO_LAT, lat))
        q_lon = -180.0 if lon >= EAST_EDGE else float(lon)
        offset = haversine_m(lat, lon, q_lat, q_lon)
        geo = self._search_keys(trust, groups, max_age_s, now, "g")
        reach = (radius_m + REDIS_SLACK_M) / M_PER_DEG_LAT * 1.01
        polar = self._search_keys(trust, groups, max_age_s, now, "p") if abs(lat) + reach >= MAX_GEO_LAT else []
        args: list[str | int] = [
            repr(float(lat)),
            repr(float(lon)),
            repr(q_lat),
            repr(offset),
            repr(float(radius_m)),
            limit,
            repr(float(now - max_age_s)),
            len(geo),
            len(polar),
            repr(min(float(radius_m), FIRST_RING_M)),
            repr(RING_GROWTH),
            repr(REDIS_SCALE),
            repr(REDIS_SLACK_M),
            repr(TIE_MARGIN_M),
            mode,
            repr(q_lon),
            *[g for g, _ in geo + polar],
            *sorted(exclude),
        ]
        rows = await self._search_script(keys=[self.base(trust) + "pos", *[k for _, k in geo + polar]], args=args)
        out = []
        for i in range(0, len(rows), 4):
            rid, plat, plon = rows[i].decode(), float(rows[i + 1]), float(rows[i + 2])
            d = haversine_m(lat, lon, plat, plon)
            if d <= radius_m:
                out.append(Hit(rid, d, plat, plon, tuple(rows[i + 3].decode().split(","))))
        return out


def _parse_pos(raw: bytes | str) -> _Pos:
    text = raw.decode() if isinstance(raw, bytes) else raw
    lat, lon, at, _ = text.split(" ", 3)
    return _Pos(float(lat), float(lon), float(at))
