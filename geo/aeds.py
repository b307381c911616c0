"""Public defibrillators: validating a GeoJSON import, and the nearest one to a point on Redis.

An import is all or nothing: every bad feature is reported by its index, and a file with any
bad feature changes nothing. The Redis copy is swapped in atomically (built under temporary keys,
then renamed), so a query sees the old set or the new one, never half of each.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any, cast

from redis.asyncio import Redis

from geo.distance import haversine_m
from geo.index import REDIS_SCALE, REDIS_SLACK_M
from geo.index_lua import EAST_EDGE, MAX_GEO_LAT

MAX_ID = 128
MAX_TEXT = 200
FIRST_RING_M = 500.0


@dataclass(frozen=True, slots=True)
class Aed:
    id: str
    name: str | None
    access: str | None
    lat: float
    lon: float


class AedImportError(ValueError):
    """`errors` holds one `{index, id, message}` per bad feature (index -1: the collection itself)."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__(f"{len(errors)} invalid feature(s)")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _feature(f: Any) -> tuple[str | None, Aed | str]:
    """(id if readable, the AED or what is wrong with the feature)."""
    if not isinstance(f, dict) or f.get("type") != "Feature":
        return None, "not a GeoJSON Feature"
    props = f.get("properties")
    if not isinstance(props, dict):
        return None, "properties must be an object with at least an id"
    raw_id = props.get("id", f.get("id"))
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if not isinstance(raw_id, str) or not raw_id.strip() or len(raw_id) > MAX_ID:
        return None, f"properties.id must be a non-empty string of at most {MAX_ID} characters"
    for field in ("name", "access"):
        if props.get(field) is not None and (not isinstance(props[field], str) or len(props[field]) > MAX_TEXT):
            return raw_id, f"properties.{field} must be a string of at most {MAX_TEXT} characters"
    geom = f.get("geometry")
    if not isinstance(geom, dict) or geom.get("type") != "Point":
        return raw_id, "geometry must be a GeoJSON Point"
    coords = geom.get("coordinates")
    if not isinstance(coords, list) or len(coords) not in (2, 3) or not all(_number(c) for c in coords):
        return raw_id, "coordinates must be [lon, lat] (or [lon, lat, alt]) finite numbers"
    lon, lat = float(coords[0]), float(coords[1])
    if not -180 <= lon <= 180:
        return raw_id, f"longitude {lon} is outside -180..180"
    if not -MAX_GEO_LAT <= lat <= MAX_GEO_LAT:
        return raw_id, f"latitude {lat} is outside -{MAX_GEO_LAT}..{MAX_GEO_LAT}"
    return raw_id, Aed(raw_id, props.get("name"), props.get("access"), lat, lon)


def parse_aeds(collection: Any) -> list[Aed]:
    """Every feature valid and every id unique, or AedImportError listing each problem."""
    if (
        not isinstance(collection, dict)
        or collection.get("type") != "FeatureCollection"
        or not isinstance(collection.get("features"), list)
    ):
        raise AedImportError([{"index": -1, "id": None, "message": "body must be a GeoJSON FeatureCollection"}])
    aeds: list[Aed] = []
    errors: list[dict[str, Any]] = []
    first_at: dict[str, int] = {}
    for i, f in enumerate(collection["features"]):
        fid, result = _feature(f)
        if fid is not None:
            if fid in first_at:
                errors.append({"index": i, "id": fid, "message": f"duplicate id (first at feature {first_at[fid]})"})
                continue
            first_at[fid] = i
        if isinstance(result, str):
            errors.append({"index": i, "id": fid, "message": result})
        else:
            aeds.append(result)
    if errors:
        raise AedImportError(errors)
    return aeds


class AedIndex:
    def __init__(self, redis: Redis, *, prefix: str):
        self.r = redis
        self.prefix = prefix

    def _keys(self, trust: str) -> tuple[str, str, str]:
        base = f"{self.prefix}{{t:{trust}}}:aed:"
        return base + "geo", base + "info", base + "loaded"

    async def replace(self, trust: str, aeds: list[Aed]) -> None:
        geo, info, loaded = self._keys(trust)
        tmp_geo, tmp_info = geo + ":new", info + ":new"
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.delete(tmp_geo, tmp_info)
            for i in range(0, len(aeds), 1000):
                chunk = aeds[i : i + 1000]
                pipe.geoadd(tmp_geo, [v for a in chunk for v in (-180.0 if a.lon >= EAST_EDGE else a.lon, a.lat, a.id)])
                pipe.hset(tmp_info, mapping={a.id: json.dumps(asdict(a)) for a in chunk})
            if aeds:
                pipe.rename(tmp_geo, geo)
                pipe.rename(tmp_info, info)
            else:
                pipe.delete(geo, info)
            pipe.set(loaded, len(aeds))
            await pipe.execute()

    async def loaded(self, trust: str) -> bool:
        """False when Redis has never seen this trust's AEDs (or lost them): reload from SQL."""
        return bool(await self.r.exists(self._keys(trust)[2]))

    async def count(self, trust: str) -> int:
        return await self.r.hlen(self._keys(trust)[1])

    async def nearest(self, trust: str, lat: float, lon: float, *, max_m: float) -> tuple[Aed, float] | None:
        """The nearest AED within max_m by haversine (ties by id), searched in growing rings."""
        geo, info, _ = self._keys(trust)
        q_lat = max(-MAX_GEO_LAT, min(MAX_GEO_LAT, lat))
        q_lon = -180.0 if lon >= EAST_EDGE else lon
        offset = haversine_m(lat, lon, q_lat, q_lon)
        ring, count = min(max_m, FIRST_RING_M), 8
        while True:
            found = await self.r.geosearch(
                geo,
                longitude=q_lon,
                latitude=q_lat,
                radius=(ring + offset) * REDIS_SCALE + REDIS_SLACK_M,
                unit="m",
                sort="ASC",
                count=count,
                withdist=True,
            )
            rows = cast(list[tuple[bytes, float]], found)  # WITHDIST: each row is [member, distance]
            horizon = ring
            if len(rows) >= count:
                horizon = min(ring, math.nextafter((rows[-1][1] - REDIS_SLACK_M) / REDIS_SCALE - offset, -math.inf))
            best = None
            if rows:
                for raw in await self.r.hmget(info, [m for m, _ in rows]):
                    if raw is None:
                        continue  # replaced between the two reads; the next ring reads again
                    a = Aed(**json.loads(raw))
                    d = haversine_m(lat, lon, a.lat, a.lon)
                    if d <= max_m and (best is None or (d, a.id) < (best[1], best[0].id)):
                        best = (a, d)
            if best is not None and best[1] <= horizon:
                return best
            if len(rows) >= count:
                count *= 2
            elif ring >= max_m:
                return best
            else:
                ring = min(max_m, ring * 4)
