"""Great-circle distance and a walking ETA. Pure functions: no I/O, no settings read here.

Distances are haversine on a sphere of the mean Earth radius (IUGG R1). Over the few kilometres a
responder covers the spherical error (< 0.5 %) is far below GPS noise, and one formula used
everywhere (index, AEDs, incident status) keeps every distance we report consistent.
"""

from __future__ import annotations

import math
from collections.abc import Callable

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180  # ~111,195 m along a meridian


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres along the great circle between two WGS84 points (degrees)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_from(lat1: float, lon1: float) -> Callable[[float, float], float]:
    """`haversine_m(lat1, lon1, lat2, lon2)` as a function of the second point, with the first
    point's terms computed once: the same operations in the same order, so bit for bit the same
    result (the index ranks tens of points from one query point with it)."""
    p1 = math.radians(lat1)
    cos_p1 = math.cos(p1)
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt

    def to(lat2: float, lon2: float) -> float:
        p2 = radians(lat2)
        a = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos(p2) * sin(radians(lon2 - lon1) / 2) ** 2
        return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(a)))

    return to


def eta_s(distance_m: float, *, walking_speed_mps: float = 1.6, route_factor: float = 1.3) -> int:
    """Seconds to cover a straight-line distance on foot, rounded up.

    `route_factor` stretches the crow-flies distance to a street-network one (about 1.3 in UK
    towns); `walking_speed_mps` is a brisk walk to a run (1.6 m/s by default). Both come from
    settings (`ALERTING_ROUTE_FACTOR`, `ALERTING_WALKING_SPEED_MPS`).
    """
    if distance_m < 0 or walking_speed_mps <= 0 or route_factor < 1:
        raise ValueError("distance must be >= 0, walking speed > 0 and route factor >= 1")
    return math.ceil(distance_m * route_factor / walking_speed_mps)


def valid_point(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
