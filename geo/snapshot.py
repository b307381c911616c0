"""Every available, fresh responder of a trust at one moment, read through the index's public API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from geo.areas import ServiceArea
from geo.distance import haversine_m
from geo.index import ResponderIndex


@dataclass(frozen=True, slots=True)
class Seen:
    responder_id: str
    lat: float
    lon: float
    groups: tuple[str, ...]


async def snapshot(
    index: ResponderIndex,
    trust: str,
    *,
    centre: tuple[float, float],
    radius_m: float,
    groups: Sequence[str],
    limit: int,
    max_age_s: float,
    now: float,
) -> list[Seen]:
    """One `nearest` over a circle that holds the whole service area: the index already applies the
    availability, activity and freshness rules, so what comes back is who could have been alerted."""
    if limit <= 0 or not groups:
        return []
    hits = await index.nearest(
        trust, centre[0], centre[1], radius_m=radius_m, groups=list(groups), limit=limit, max_age_s=max_age_s, now=now
    )
    return [Seen(h.responder_id, h.lat, h.lon, tuple(h.groups)) for h in hits]


def covering_circle(area: ServiceArea) -> tuple[tuple[float, float], float]:
    """A centre and radius whose circle holds the whole area: its bounding box, from the centroid."""
    centre = area.geom.centroid
    west, south, east, north = area.geom.bounds
    radius = max(haversine_m(centre.y, centre.x, lat, lon) for lat in (south, north) for lon in (west, east))
    return (centre.y, centre.x), radius + 1.0
