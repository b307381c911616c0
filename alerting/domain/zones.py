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
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

# Below this many zones a scan of prepared geometries beats building and querying a tree.
TREE_THRESHOLD = 16


class ZoneError(ValueError):
    """A zone's area is not a usable polygon; the message says what is wrong with it."""


def parse_zone_area(raw: Any) -> shapely.Geometry:
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
    geom: shapely.Geometry

    @classmethod
    def from_geojson(cls, raw: Any) -> ZoneArea:
        geom = parse_zone_area(raw)
        shapely.prepare(geom)
        return cls(mapping(geom), geom)

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


class ZoneLookup(Generic[Z]):
    """First-match point lookup over ordered zones.

    Few zones: a scan of prepared geometries. Many: an STRtree narrows to the zones whose bounding
    box holds the point, and the lowest-ordered one whose prepared geometry holds it wins, so the
    answer is always the same as the scan's.
    """

    __slots__ = ("_zones", "_geoms", "_tree")

    def __init__(self, zones: Sequence[Z], *, tree_threshold: int = TREE_THRESHOLD):
        self._zones = tuple(zones)
        self._geoms = [z.area.geom for z in self._zones]
        self._tree = shapely.STRtree(self._geoms) if len(self._zones) >= tree_threshold else None

    def __len__(self) -> int:
        return len(self._zones)

    def find(self, lat: float, lon: float) -> Z | None:
        if self._tree is None:
            for zone, geom in zip(self._zones, self._geoms):
                if shapely.intersects_xy(geom, lon, lat):
                    return zone
            return None
        hits = self._tree.query(shapely.Point(lon, lat))
        for i in sorted(hits.tolist()):
            if shapely.intersects_xy(self._geoms[i], lon, lat):
                return self._zones[i]
        return None
