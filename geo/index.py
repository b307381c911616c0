"""Interim brute-force responder index, replaced by the real live index."""
from __future__ import annotations
import json
from dataclasses import dataclass
from geo.distance import haversine_m

@dataclass(frozen=True, slots=True)
class Hit:
    responder_id: str
    distance_m: float
    lat: float
    lon: float
    groups: tuple[str, ...]

@dataclass(frozen=True, slots=True)
class LocationUpdate:
    responder_id: str
    lat: float
    lon: float
    accuracy_m: float | None
    at: float

class ResponderIndex:
    def __init__(self, redis, *, prefix, bucket_s=300):
        self.r = redis; self.p = prefix
    def _k(self, t): return f"{self.p}{{t:{t}}}:tmpidx"
    async def _get(self, t, rid):
        v = await self.r.hget(self._k(t), rid)
        return json.loads(v) if v else None
    async def _put(self, t, rid, d): await self.r.hset(self._k(t), rid, json.dumps(d))
    async def set_profile(self, trust, responder, *, groups, active):
        d = await self._get(trust, responder) or {"available": True}
        d.update(groups=list(groups), active=active); await self._put(trust, responder, d)
    async def upsert(self, trust, responder, lat, lon, accuracy_m, at):
        d = await self._get(trust, responder)
        if d is None: return
        d.update(lat=lat, lon=lon, at=at); await self._put(trust, responder, d)
    async def upsert_many(self, trust, updates):
        for u in updates: await self.upsert(trust, u.responder_id, u.lat, u.lon, u.accuracy_m, u.at)
    async def set_available(self, trust, responder, available):
        d = await self._get(trust, responder)
        if d is None: return
        d["available"] = available; await self._put(trust, responder, d)
    async def remove(self, trust, responder): await self.r.hdel(self._k(trust), responder)
    async def position(self, trust, responder):
        d = await self._get(trust, responder)
        return (d["lat"], d["lon"], d["at"]) if d and "lat" in d else None
    async def _all(self, trust, lat, lon, radius_m, max_age_s, now):
        out = []
        for rid, v in (await self.r.hgetall(self._k(trust))).items():
            d = json.loads(v)
            if "lat" not in d or not d["available"] or not d["active"] or d["at"] < now - max_age_s: continue
            dist = haversine_m(lat, lon, d["lat"], d["lon"])
            if dist <= radius_m: out.append(Hit(rid.decode(), dist, d["lat"], d["lon"], tuple(d["groups"])))
        return out
    async def nearest(self, trust, lat, lon, *, radius_m, groups, limit, exclude=(), max_age_s, now):
        hits = [h for h in await self._all(trust, lat, lon, radius_m, max_age_s, now) if set(h.groups) & set(groups) and h.responder_id not in exclude]
        return sorted(hits, key=lambda h: (h.distance_m, h.responder_id))[:limit]
    async def counts_near(self, trust, lat, lon, *, radius_m, max_age_s, now):
        c = {}
        for h in await self._all(trust, lat, lon, radius_m, max_age_s, now):
            for g in h.groups: c[g] = c.get(g, 0) + 1
        return c
