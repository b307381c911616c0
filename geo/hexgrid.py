"""The H3 grid that responder density is kept on: counts per cell, never positions.

Resolution 8 cells are ~0.74 km² (~530 m edge): coarse enough that a count does not point at a
home, fine enough to tell a city centre from its suburbs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import h3

RESOLUTION = 8
MEAN_CELL_AREA_M2: float = h3.average_hexagon_area(RESOLUTION, "m^2")
# The largest disk a density estimate averages over (k rings = 3k(k+1)+1 cells, ~220 km² at k=10);
# wider radii reuse it, since density that far out says little about the incident's surroundings.
MAX_RINGS = 10


def cell_of(lat: float, lon: float, resolution: int = RESOLUTION) -> str:
    cell: str = h3.latlng_to_cell(lat, lon, resolution)  # h3 has no annotations: the types are stated here
    return cell


def group_key(groups: Iterable[str]) -> str:
    """A responder in several groups is one person: kept under their sorted group set, counted once."""
    return ",".join(sorted(set(groups)))


def split_key(key: str) -> tuple[str, ...]:
    return tuple(key.split(",")) if key else ()


def aggregate(
    seen: Iterable[tuple[float, float, Iterable[str]]], resolution: int = RESOLUTION
) -> Counter[tuple[str, str]]:
    """(lat, lon, groups) sightings -> counts per (cell, group key); the positions are dropped here."""
    return Counter((cell_of(lat, lon, resolution), group_key(groups)) for lat, lon, groups in seen)


def rings_for_radius(radius_m: float, cell_area_m2: float) -> int:
    """The number of rings whose hexagon disk has the area closest to a circle of this radius."""
    cells = math.pi * radius_m * radius_m / cell_area_m2  # want 3k² + 3k + 1 = cells
    k = (-3 + math.sqrt(max(0.0, 9 - 12 * (1 - cells)))) / 6
    return min(MAX_RINGS, max(0, round(k)))


@lru_cache(maxsize=65_536)
def disk(cell: str, rings: int) -> tuple[str, ...]:
    return tuple(h3.grid_disk(cell, rings))


@lru_cache(maxsize=262_144)
def cell_area_m2(cell: str) -> float:
    area: float = h3.cell_area(cell, "m^2")
    return area


def cells_in_area(area_geojson: dict[str, Any], resolution: int = RESOLUTION) -> list[str]:
    """The cells whose centres lie in a GeoJSON Polygon or MultiPolygon, in a stable order."""
    shape = h3.geo_to_h3shape(area_geojson)
    return sorted(h3.h3shape_to_cells(shape, resolution))


def cell_centre(cell: str) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return float(lat), float(lon)


def cell_polygon(cell: str) -> dict[str, Any]:
    """The cell's hexagon as a GeoJSON Polygon (lon, lat; closed ring)."""
    ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
