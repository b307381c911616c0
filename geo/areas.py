"""Service areas as prepared Shapely geometries (placeholder until the geo branch lands)."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import Point, mapping, shape


class AreaError(ValueError):
    pass


def parse_area(geojson: Any):
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise AreaError("area must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise AreaError(f"area is not valid GeoJSON: {exc}") from exc
    if geom.is_empty or not geom.is_valid:
        raise AreaError("area geometry is empty or invalid")
    return geom


class ServiceArea:
    def __init__(self, geom):
        self.geom = geom
        shapely.prepare(geom)
        self.geojson = mapping(geom)

    @classmethod
    def from_geojson(cls, raw: Any) -> "ServiceArea":
        return cls(parse_area(raw))

    def contains(self, lat: float, lon: float) -> bool:
        return self.geom.intersects(Point(lon, lat))
