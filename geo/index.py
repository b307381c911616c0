"""The live responder index on Redis: who is near, free, fresh and in the right group.

Only available, active responders with a position are listed, in one GEO key per trust, group
and time bucket (see `geo.index_lua` for the layout and the scripts). A query searches only the
buckets young enough for the trust's `location_max_age_s`, so its cost never grows with
unavailable, stale or other-group responders; and it searches in growing rings with COUNT, so it
does not sort everyone inside a wide circle when only the nearest few are wanted. The script picks
the few that can be nearest by Redis's own distances, widened into the bounds ours can lie in, and
returns only those (and anyone who might tie with them).

Distances and the final order come from `geo.distance.haversine_m` on the exact coordinates kept
beside the GEO keys (Redis stores a 52-bit geohash and measures on a slightly larger sphere), so
results are exactly those of a brute-force haversine filter: nearest first, ties by id. Why this
design rather than PostGIS or an index in each process: BENCHMARKS.md, "Against PostGIS".
"""

from __future__ import annotations

import asyncio
import math
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import hiredis
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterPipeline
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from geo.distance import M_PER_DEG_LAT, haversine_from, haversine_m
from geo.index_lua import EAST_EDGE, MAX_GEO_LAT, REDIS_SLACK_M, SCRIPT, SEARCH

BATCH = 1000  # updates per script call: a burst is a few pipelined calls, not one round trip each
PIPELINE_DEPTH = 10  # script calls per pipelined round trip
_WS = re.compile(r"\s")
DEFAULT_RETENTION_S = 86_400  # the longest location_max_age_s a policy may set
# The key layout's name (geo.index_lua): a change of layout gets a new one, so the new layout never
# reads keys in the last one's format; `adopt_previous_layouts` converts them.
LAYOUT = "ix2"
PREVIOUS_LAYOUTS = ("ix",)  # left behind by an upgrade: `adopt_previous_layouts` brings them over
_POSITION = struct.Struct("<dddd")  # lat, lon, at, accuracy (NaN for none): a record's position
_LAT_LON = struct.Struct("<dd")


class Hit(NamedTuple):
    """A named tuple rather than a frozen dataclass: a query builds tens of them, and a frozen
    dataclass's `__init__` (one `object.__setattr__` per field) cost more than the haversine."""

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


def _bucket(at: float, bucket_s: int) -> int:
    return math.floor(at / bucket_s)  # the same expression as the Lua script, so both agree


class ResponderIndex:
    def __init__(
        self, redis: Redis | RedisCluster, *, prefix: str, bucket_s: int = 300, retention_s: int = DEFAULT_RETENTION_S
    ):
        if retention_s < bucket_s:
            raise ValueError("retention_s must be at least one bucket")
        self.r = redis
        self.prefix = prefix
        self.bucket_s = bucket_s
        self.retention_s = retention_s
        self._script = redis.register_script(SCRIPT)
        self._search_script = redis.register_script(SEARCH)
        self._lane: AbstractConnection | None = None  # a pooled connection kept for searches
        self._lane_busy = False

    # --- keys -------------------------------------------------------------------------------

    def base(self, trust: str) -> str:
        return f"{self.prefix}{{t:{trust}}}:{LAYOUT}:"

    async def adopt_previous_layouts(self, trust: str, *, now: float) -> int:
        """Bring a trust's responders from a layout an upgrade left behind into this one, then drop
        the old records (its bucket keys expire on their own): after a deploy responders stay
        searchable, instead of vanishing until their phones next report (a phone in a pocket may
        not for many minutes). A responder this layout already holds keeps what it has: it was
        written since, so it is newer: its profile stays, and an old position never wins over a newer
        one. Returns how many responders the old records held."""
        adopted = 0
        for name in PREVIOUS_LAYOUTS:
            prof, pos = (f"{self.prefix}{{t:{trust}}}:{name}:{suffix}" for suffix in ("prof", "pos"))
            cursor = 0
            while True:
                cursor, found = await self.r.hscan(prof, cursor, count=BATCH)
                chunk = cast(dict[bytes, bytes], found)  # the index's client does not decode replies
                rids = [rid.decode() for rid in chunk]
                if rids:
                    held = await self.r.hmget(self.base(trust) + "r", rids)
                    positions = cast(list[bytes | None], await self.r.hmget(pos, rids))
                    profiles, updates = [], []
                    for rid, record, here, at in zip(rids, chunk.values(), held, positions, strict=True):
                        if here is None:
                            profiles.append(_old_profile(rid, record))
                        if at is not None:
                            updates.append(_old_position(rid, at))
                    await self.load_many(trust, profiles, updates, now=now)
                    adopted += len(rids)
                if cursor == 0:
                    break
            await self.r.unlink(prof, pos)
        return adopted

    # --- writes -----------------------------------------------------------------------------

    async def _run(
        self, trust: str, op: str, rows: Sequence[Any], now: float, encode: Callable[[Sequence[Any]], list[Any]]
    ) -> list[str]:
        """Rows in script calls of BATCH (`encode` turns each batch into its arguments), PIPELINE_DEPTH
        calls per round trip, two round trips in flight: the client encodes the next while Redis
        runs the last. A burst goes as a few arguments, not several per row (redis-py packs every
        argument in Python: a million of them cost seconds). Callers send each responder at most
        once per call, so calls in flight never touch the same record."""
        keys = [self.base(trust) + "r"]
        head = [self.base(trust), str(self.bucket_s), str(self.retention_s), repr(float(now)), op]
        if not rows:
            return []
        if len(rows) <= BATCH:
            unknown = await self._script(keys=keys, args=[*head, *encode(rows)])
            return [u.decode() for u in unknown]
        window = BATCH * PIPELINE_DEPTH  # bounded, so a million-row load never builds one giant write
        in_flight = asyncio.Semaphore(2)

        async def send(start: int) -> list[bytes]:
            async with in_flight, self.r.pipeline(transaction=False) as pipe:
                for i in range(start, min(len(rows), start + window), BATCH):
                    part = [*head, *encode(rows[i : i + BATCH])]
                    if isinstance(pipe, ClusterPipeline):
                        # A cluster pipeline cannot load a script its node lacks (NOSCRIPT would
                        # fail the batch): send the text. A single Redis pipeline loads it itself.
                        pipe.eval(SCRIPT, len(keys), *keys, *part)
                    else:
                        await self._script(keys=keys, args=part, client=pipe)
                return [u for part in await pipe.execute() for u in part]

        calls = [asyncio.ensure_future(send(start)) for start in range(0, len(rows), window)]
        try:
            parts = await asyncio.gather(*calls)
        except BaseException:  # the first failure is raised as it is; the calls not yet sent are not
            for call in calls:
                call.cancel()
            await asyncio.gather(*calls, return_exceptions=True)
            raise
        return [u.decode() for part in parts for u in part]

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
        lines = [f"{rid} {a} {v} {g}" for rid, (a, v, g) in _profile_rows(profiles).items()]
        await self._run(trust, "prof", lines, now, lambda part: ["\n".join(part)])

    async def load_many(
        self, trust: str, profiles: Sequence[Profile], updates: Sequence[LocationUpdate], *, now: float
    ) -> list[str]:
        """`set_profiles(profiles, now=now)` then `upsert_many(updates)` in one pass, ending in the same
        records and keys (a fix older than the one held still never wins; a responder already here
        keeps what `set_profiles` keeps), but reading and writing each record once instead of twice:
        a bulk load (a republish, an adoption) costs Redis about half. Returns, as `upsert_many`
        does, the ids of updates with no profile here."""
        # Only what must come first is done here (one responder once, every id and group checked, so
        # a bad row writes nothing); each call's lines are made as it is sent, while Redis runs the last.
        by_id = {p.responder_id: p for p in profiles}
        if len(by_id) != len(profiles):  # the same responder twice: as `set_profiles` merges them
            by_id = {}
            for p in profiles:
                seen = by_id.get(p.responder_id)
                if p.available is None and seen is not None:
                    p = Profile(p.responder_id, p.groups, p.active, seen.available)
                by_id[p.responder_id] = p
        _check_ids(list(by_id))
        joined = {groups: _joined(groups) for groups in {p.groups for p in by_id.values()}}
        newest = _newest(updates)
        rows: list[Profile | LocationUpdate] = list(by_id.values())
        rows += [u for rid, u in newest.items() if rid not in by_id]  # positions of responders not in `profiles`
        pack, nan, flag = _POSITION.pack, math.nan, {None: "", True: "1", False: "0"}
        loc_now = repr(float(max((u.at for u in updates), default=0.0)))  # what `upsert_many` lists as of

        def encode(part: Sequence[Profile | LocationUpdate]) -> list[str | bytes]:
            lines, has, packed = [], [], []
            for row in part:
                rid = row.responder_id
                if isinstance(row, Profile):
                    u = newest.get(rid)
                    lines.append(f"{rid} {'1' if row.active else '0'} {flag[row.available]} {joined[row.groups]}")
                else:
                    u = row
                    lines.append(f"{rid} -  ")
                if u is None:
                    has.append("-")
                else:
                    has.append("P")
                    packed.append(pack(u.lat, u.lon, u.at, nan if u.accuracy_m is None else u.accuracy_m))
            return ["\n".join(lines), "".join(has), b"".join(packed), loc_now]

        return await self._run(trust, "load", rows, now, encode)

    async def upsert(
        self, trust: str, responder: str, lat: float, lon: float, accuracy_m: float | None, at: float
    ) -> bool:
        """False when the responder has no profile here (never registered, or erased)."""
        return not await self.upsert_many(trust, [LocationUpdate(responder, lat, lon, accuracy_m, at)])

    async def upsert_many(self, trust: str, updates: Sequence[LocationUpdate]) -> list[str]:
        """Write a burst of positions in pipelined script calls; returns the ids with no profile."""
        newest = _newest(updates)
        # Two arguments per script call: the ids, a line each, and their positions packed as the
        # record keeps them (exact floats, no decimal strings to make or parse on either side).
        pack, nan = _POSITION.pack, math.nan

        def encode(part: Sequence[LocationUpdate]) -> list[str | bytes]:
            return [
                "\n".join([u.responder_id for u in part]),
                b"".join([pack(u.lat, u.lon, u.at, nan if u.accuracy_m is None else u.accuracy_m) for u in part]),
            ]

        now = max((u.at for u in updates), default=0.0)
        return await self._run(trust, "loc", list(newest.values()), now, encode)

    async def set_available(self, trust: str, responder: str, available: bool, *, now: float) -> bool:
        """Unavailable leaves the searched keys at once. False when the responder is unknown here."""
        return not await self._run(trust, "avail", [responder, "1" if available else "0"], now, list)

    async def remove(self, trust: str, responder: str) -> None:
        await self._run(trust, "remove", [responder], 0.0, list)

    # --- reads ------------------------------------------------------------------------------

    async def position(self, trust: str, responder: str) -> tuple[float, float, float] | None:
        raw = await self._record(trust, responder)
        if raw is None or raw[2:3] != b"P":
            return None
        lat, lon, at, _ = _POSITION.unpack_from(raw, 3)
        return lat, lon, at

    async def available(self, trust: str, responder: str) -> bool | None:
        """The responder's duty switch as the index holds it; None when it has no profile of them."""
        raw = await self._record(trust, responder)
        return None if raw is None else raw[1:2] == b"1"

    async def _record(self, trust: str, responder: str) -> bytes | None:
        raw = await self.r.hget(self.base(trust) + "r", responder)
        if raw is not None and not isinstance(raw, bytes):
            raise TypeError("the live index needs a Redis client that returns bytes (records are binary)")
        return raw

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
            rows = await self._search(trust, lat, lon, radius_m, groups, 0, set(exclude), max_age_s, now, "count")
        else:
            rows = await self._search(trust, lat, lon, radius_m, groups, limit, set(exclude), max_age_s, now, "nearest")
        rows.sort()  # by distance, then id (UTF-8 bytes sort as their code points do)
        new, decode = tuple.__new__, bytes.decode
        return [new(Hit, (decode(r[1]), r[0], r[2], r[3], r[4])) for r in rows[:limit]]

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
            for row in await self._search(trust, lat, lon, radius_m, groups, 0, set(), max_age_s, now, "count"):
                for g in row[4]:
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
    ) -> list[tuple[float, bytes, float, float, tuple[str, ...]]]:
        """One script call; the exact haversine filter is applied here, on its few rows: (distance,
        id, lat, lon, groups) of those within the radius, for the caller to order (plain tuples
        sort in C; a `Hit` is built only for what is returned)."""
        # Redis GEO cannot search from beyond +-85.05 degrees: search from the nearest point it
        # can, with the radius widened by the offset (the triangle inequality keeps it a superset).
        q_lat = max(-MAX_GEO_LAT, min(MAX_GEO_LAT, lat))
        q_lon = -180.0 if lon >= EAST_EDGE else float(lon)
        offset = haversine_m(lat, lon, q_lat, q_lon)
        reach = (radius_m + REDIS_SLACK_M) / M_PER_DEG_LAT * 1.01
        cutoff = now - max_age_s
        oldest = _bucket(cutoff, self.bucket_s)
        newest = _bucket(now, self.bucket_s) + 1  # a clock a little ahead on another node
        args: list[str | int] = [
            self.base(trust),
            repr(q_lon),
            repr(q_lat),
            repr(offset),
            repr(float(radius_m)),
            limit,
            repr(float(cutoff)),
            oldest,
            newest,
            self.bucket_s,
            "1" if abs(lat) + reach >= MAX_GEO_LAT else "0",
            mode,
            repr(float(lat)),
            repr(float(lon)),
            len(groups),
            *groups,
            *sorted(exclude),
        ]
        rows = await self._search_call([self.base(trust) + "r"], args)
        out: list[tuple[float, bytes, float, float, tuple[str, ...]]] = []
        append = out.append
        distance_to = haversine_from(lat, lon)
        found_in: dict[bytes, tuple[str, ...]] = {}  # a few distinct group lists per query
        it = iter(rows)
        lat_lon = _LAT_LON.unpack_from
        for rid, rec, listed in zip(it, it, it, strict=True):
            plat, plon = lat_lon(rec, 3)  # after the flags and "P": exactly the floats written
            d = distance_to(plat, plon)
            if d <= radius_m:
                groups_of = found_in.get(listed)
                if groups_of is None:
                    groups_of = found_in[listed] = tuple(sorted(listed.decode().split(",")))
                append((d, rid, plat, plon, groups_of))
        return out

    async def _search_call(self, keys: list[str], args: list[str | int]) -> Any:
        """The search script's round trip. redis-py's asyncio path (pool, retries, pure-Python
        packing) cost about as much client CPU as everything else in a query, so a search goes on
        a connection of the pool kept for searches, packed by hiredis; the usual path (with its
        retries and script loading) takes over when that connection is busy with another search,
        failed, or lacks the script, and always on a cluster. The connection stays the pool's: the
        client's `aclose` closes it with the rest."""
        if self._lane_busy or not isinstance(self.r, Redis):
            return await self._search_script(keys=keys, args=args)
        self._lane_busy = True
        try:
            if self._lane is None:
                self._lane = await self.r.connection_pool.get_connection()  # type: ignore[no-untyped-call]
            conn = self._lane
            try:
                command = ("EVALSHA", self._search_script.sha, len(keys), *keys, *args)
                packed = hiredis.pack_command(command)  # type: ignore[arg-type]  # its stub types a 1-tuple
                await conn.send_packed_command(packed, check_health=False)
                return await conn.read_response()
            except NoScriptError:
                pass  # the usual path loads it
            except ResponseError:
                raise  # the script's own error: the connection is fine
            except (RedisConnectionError, RedisTimeoutError, OSError):
                await conn.disconnect(nowait=True)  # reconnects on its next use
            except BaseException:
                await conn.disconnect(nowait=True)  # cancelled mid-call: a reply may still be on its way
                raise
        finally:
            self._lane_busy = False
        return await self._search_script(keys=keys, args=args)


def _old_profile(rid: str, raw: bytes) -> Profile:
    """A profile of layout `ix`: "<active 0|1>|<available 0|1>|<group,group..>"."""
    active, available, groups = raw.decode().split("|", 2)
    return Profile(rid, tuple(g for g in groups.split(",") if g), active == "1", available == "1")


def _old_position(rid: str, raw: bytes) -> LocationUpdate:
    """A position of layout `ix`: "<lat> <lon> <at> <accuracy or ->", exact decimal text."""
    lat, lon, at, accuracy = raw.decode().split(" ", 3)
    return LocationUpdate(rid, float(lat), float(lon), None if accuracy == "-" else float(accuracy), float(at))


def _check_ids(ids: list[str]) -> None:
    """Ids go to the scripts as whitespace-separated words: one split of them all checks each."""
    if "\n".join(ids).split() != ids:
        raise ValueError("responder ids may not be empty or contain whitespace")


def _profile_rows(profiles: Sequence[Profile]) -> dict[str, tuple[str, str, str]]:
    """Each responder's (active, available or "" to keep it, groups) as the write script takes them,
    once: the later of two rows for one responder wins, keeping the earlier's switch if it has none."""
    _check_ids([p.responder_id for p in profiles])
    joined: dict[tuple[str, ...], str] = {}  # a few distinct group lists, each checked once
    latest: dict[str, tuple[str, str, str]] = {}
    for p in profiles:
        groups = joined.get(p.groups)
        if groups is None:
            groups = joined[p.groups] = _joined(p.groups)
        available = "" if p.available is None else ("1" if p.available else "0")
        if available == "" and (seen := latest.get(p.responder_id)) is not None:
            available = seen[1]  # the same responder twice: the later keeps the earlier's switch
        latest[p.responder_id] = ("1" if p.active else "0", available, groups)
    return latest


def _joined(groups: tuple[str, ...]) -> str:
    """A profile's groups as the write script takes them: comma-separated, each once."""
    for g in groups:
        if not g or "," in g or _WS.search(g):
            raise ValueError(f"group ids may not be empty or contain ',' or whitespace: {groups!r}")
    return ",".join(dict.fromkeys(groups))


def _newest(updates: Sequence[LocationUpdate]) -> dict[str, LocationUpdate]:
    """Of two fixes for one responder only the newer can win (the later on a tie): send just that one."""
    newest = {u.responder_id: u for u in updates}
    if len(newest) == len(updates):  # the usual case: nobody twice
        _check_ids(list(newest))
        return newest
    newest = {}
    for u in updates:
        seen = newest.get(u.responder_id)
        if seen is None or u.at >= seen.at:
            newest[u.responder_id] = u
    _check_ids(list(newest))
    return newest
