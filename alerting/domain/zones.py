"""Named policy zones: areas inside a trust that carry their own phases, and the lookup that picks one.

Pure: Shapely geometries only, no I/O. `ZoneLookup` is what the incident machine and the what-if
replay call; it answers "which zone decides for this point" with the rule "the first zone, in
policy order, whose area holds the point; a point on a zone's edge is in it".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

# Below this many zones a scan of prepared geometries beats building and querying a tree.
TREE_THRESHOLD = 16


class ZoneError(ValueError):
    """A zone's area is not a usable polygon; the message says what is wrong with it."""


def parse_zone_area(raw: Any) -> BaseGeometry:
    """A valid, non-empty WGS84 Polygon or MultiPolygon from GeoJSON, or ZoneError saying why not."""
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        raise ZoneError("must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(raw)
    except Exception as exc:  # Shapely raises several types for malformed coordinate arrays
        raise ZoneError(f"is not valid GeoJSON coordinates: {exc}") from exc
    if geom.is_empty:
        raise ZoneError("is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds) or minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ZoneError("has coordinates outside longitude -180..180 / latitude -90..90 (GeoJSON order is lon, lat)")
    if not geom.is_valid:
        raise ZoneError(f"is not a valid polygon: {explain_validity(geom)}")
    return geom


@dataclass(frozen=True, slots=True, eq=False)
class ZoneArea:
    """A prepared zone geometry; equality is by GeoJSON so policies compare by value."""

    geojson: dict[str, Any]
    geom: BaseGeometry

    @classmethod
    def from_geojson(cls, raw: Any) -> ZoneArea:
        geom = parse_zone_area(raw)
        shapely.prepare(geom)
        return cls({"type": raw["type"], "coordinates": raw["coordinates"]}, geom)  # as given: no costly re-mapping

    def contains(self, lat: float, lon: float) -> bool:
        return bool(shapely.intersects_xy(self.geom, lon, lat))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ZoneArea) and other.geojson == self.geojson

    def __hash__(self) -> int:
        return hash(repr(self.geojson))


class HasArea(Protocol):
    @property
    def area(self) -> ZoneArea: ...


Z = TypeVar("Z", bound=HasArea)


class _Grid:
    """Candidate zones per cell of a regular grid over the zones' extent, computed once by an STRtree.

    A lookup is then arithmetic and a list index: no geometry is built per incident, which is most
    of the cost of querying the tree directly (a Point and a query each cost several microseconds).
    """

    __slots__ = ("minx", "miny", "maxx", "maxy", "n", "w", "h", "cells")

    def __init__(self, geoms: Sequence[BaseGeometry]):
        self.minx, self.miny, self.maxx, self.maxy = (float(v) for v in shapely.total_bounds(geoms))
        self.n = 2 * math.ceil(math.sqrt(len(geoms)))  # about four cells per zone
        self.w = (self.maxx - self.minx) / self.n or 1e-9
        self.h = (self.maxy - self.miny) / self.n or 1e-9
        cols = [c % self.n for c in range(self.n * self.n)]
        rows = [c // self.n for c in range(self.n * self.n)]
        eps = 1e-9  # a point on a cell edge, rounded into the next cell, still finds its zones there
        boxes = shapely.box(
            [self.minx + c * self.w - eps for c in cols],
            [self.miny + r * self.h - eps for r in rows],
            [self.minx + (c + 1) * self.w + eps for c in cols],
            [self.miny + (r + 1) * self.h + eps for r in rows],
        )
        cell_idx, zone_idx = shapely.STRtree(geoms).query(boxes)
        cells: list[list[int]] = [[] for _ in range(self.n * self.n)]
        for c, z in zip(cell_idx.tolist(), zone_idx.tolist(), strict=True):
            cells[c].append(z)
        self.cells = [tuple(sorted(c)) for c in cells]

    def candidates(self, lon: float, lat: float) -> tuple[int, ...]:
        if not (self.minx <= lon <= self.maxx and self.miny <= lat <= self.maxy):
            return ()
        col = min(int((lon - self.minx) / self.w), self.n - 1)
        row = min(int((lat - self.miny) / self.h), self.n - 1)
        return self.cells[row * self.n + col]


class ZoneLookup(Generic[Z]):
    """First-match point lookup over ordered zones.

    Few zones: a scan of prepared geometries. Many: a grid built with an STRtree narrows to the
    zones whose bounding box may hold the point, and the lowest-ordered one whose prepared geometry
    holds it wins, so the answer is always the same as the scan's.
    """

    __slots__ = ("_zones", "_geoms", "_bounds", "_grid")

    def __init__(self, zones: Sequence[Z], *, tree_threshold: int = TREE_THRESHOLD):
        self._zones = tuple(zones)
        self._geoms = [z.area.geom for z in self._zones]
        self._bounds = [g.bounds for g in self._geoms]
        self._grid = _Grid(self._geoms) if self._zones and len(self._zones) >= tree_threshold else None

    def __len__(self) -> int:
        return len(self._zones)

    def find(self, lat: float, lon: float) -> Z | None:
        order = self._grid.candidates(lon, lat) if self._grid is not None else range(len(self._zones))
        for i in order:
            minx, miny, maxx, maxy = self._bounds[i]
            if minx <= lon <= maxx and miny <= lat <= maxy and shapely.intersects_xy(self._geoms[i], lon, lat):
                return self._zones[i]
        return None
