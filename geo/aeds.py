"""Interim AED store, replaced by the real one."""
from __future__ import annotations
import json
from dataclasses import dataclass, asdict
from geo.distance import haversine_m

@dataclass
class Aed:
    id: str; name: str | None; access: str | None; lat: float; lon: float

class AedImportError(ValueError):
    def __init__(self, errors): self.errors = errors; super().__init__("bad")

def parse_aeds(fc):
    out = []; errs = []
    for i, f in enumerate(fc.get("features", [])):
        try:
            lon, lat = f["geometry"]["coordinates"]; p = f["properties"]
            out.append(Aed(p["id"], p.get("name"), p.get("access"), lat, lon))
        except Exception as e: errs.append({"index": i, "id": None, "message": str(e)})
    if errs: raise AedImportError(errs)
    return out

class AedIndex:
    def __init__(self, redis, *, prefix): self.r = redis; self.p = prefix
    def _k(self, t): return f"{self.p}{{t:{t}}}:tmpaed"
    async def replace(self, trust, aeds):
        await self.r.set(self._k(trust), json.dumps([asdict(a) for a in aeds]))
    async def nearest(self, trust, lat, lon):
        v = await self.r.get(self._k(trust))
        if not v: return None
        best = min((Aed(**a) for a in json.loads(v)), key=lambda a: haversine_m(lat, lon, a.lat, a.lon), default=None)
        return (best, haversine_m(lat, lon, best.lat, best.lon)) if best else None
    async def count(self, trust):
        v = await self.r.get(self._k(trust)); return len(json.loads(v)) if v else 0
