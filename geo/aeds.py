"""Public defibrillators on Redis: the nearest usable one to a point.

Registers are read by geo.aed_register. The Redis copy is swapped in atomically (built under
temporary keys of its own, then renamed by one script), so a query sees the old set or the new one,
never half of each, and two uploads at once never mix. A script rather than MULTI: a Redis Cluster
client refuses RENAME in a pipeline, though every key here shares the trust's slot.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, cast

from redis.asyncio import Redis, RedisCluster

from geo.distance import haversine_m
from geo.index_lua import EAST_EDGE, MAX_GEO_LAT, REDIS_SCALE, REDIS_SLACK_M

MAX_ID = 128
MAX_TEXT = 200
FIRST_RING_M = 500.0
STAGING_TTL_S = 3600  # temporary keys of an upload that died half-way vanish on their own

# KEYS geo, info, loaded, staged geo, staged info; ARGV[1] how many AEDs were staged.
_SWAP = """
if tonumber(ARGV[1]) > 0 then
  redis.call('RENAME', KEYS[4], KEYS[1])
  redis.call('RENAME', KEYS[5], KEYS[2])
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
else
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5])
end
redis.call('SET', KEYS[3], ARGV[1])
return 1
"""


@dataclass(frozen=True, slots=True)
class Aed:
    id: str
    name: str | None
    access: str | None
    lat: float
    lon: float
    opening_hours: str | None = None  # OpenStreetMap syntax; None: no hours known, always offered


class AedImportError(ValueError):
    """`errors` holds one `{index, id, message}` per bad feature (index -1: the collection itself)."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__(f"{len(errors)} invalid feature(s)")


class AedIndex:
    def __init__(self, redis: Redis | RedisCluster, *, prefix: str):
        self.r = redis
        self.prefix = prefix
        self._swap = redis.register_script(_SWAP)

    def _keys(self, trust: str) -> tuple[str, str, str]:
        base = f"{self.prefix}{{t:{trust}}}:aed:"
        return base + "geo", base + "info", base + "loaded"

    async def replace(self, trust: str, aeds: list[Aed]) -> None:
        geo, info, loaded = self._keys(trust)
        staged = uuid.uuid4().hex
        tmp_geo, tmp_info = f"{geo}:new:{staged}", f"{info}:new:{staged}"
        if aeds:
            async with self.r.pipeline(transaction=False) as pipe:
                for i in range(0, len(aeds), 1000):
                    chunk = aeds[i : i + 1000]
                    pipe.geoadd(
                        tmp_geo, [v for a in chunk for v in (-180.0 if a.lon >= EAST_EDGE else a.lon, a.lat, a.id)]
                    )
                    pipe.hset(tmp_info, mapping={a.id: json.dumps(asdict(a)) for a in chunk})
                pipe.expire(tmp_geo, STAGING_TTL_S)
                pipe.expire(tmp_info, STAGING_TTL_S)
                await pipe.execute()
        await self._swap(keys=[geo, info, loaded, tmp_geo, tmp_info], args=[len(aeds)])

    async def loaded(self, trust: str) -> bool:
        """False when Redis has never seen this trust's AEDs (or lost them): reload from SQL."""
        return bool(await self.r.exists(self._keys(trust)[2]))

    async def count(self, trust: str) -> int:
        return await self.r.hlen(self._keys(trust)[1])

    async def nearest(
        self, trust: str, lat: float, lon: float, *, max_m: float, usable: Callable[[Aed], bool] | None = None
    ) -> tuple[Aed, float] | None:
        """The nearest AED within max_m by haversine (ties by id) that is `usable` (private or closed
        ones are passed over for the next), searched in growing rings."""
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
                    if usable is not None and d <= max_m and not usable(a):
                        continue
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
