"""Service areas: a trust's GeoJSON (Multi)Polygon, validated once and prepared for fast containment.

An incident outside its trust's area is refused (the caller turns `contains() == False` into a 422).
Responders are not checked against areas at all: their positions live in the trust's own index
keys, so a responder standing outside every area is kept, and is never matched to another trust.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry


class AreaError(ValueError):
    pass


def _coordinates_in_range(geom: BaseGeometry) -> bool:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return -180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90


def parse_area(geojson: Any) -> BaseGeometry:
    """A valid, non-empty Polygon or MultiPolygon in lon/lat degrees, or AreaError saying why not."""
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise AreaError("area must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise AreaError(f"area is not valid GeoJSON: {exc}") from exc
    if geom.is_empty:
        raise AreaError("area is empty")
    if not _coordinates_in_range(geom):
        raise AreaError("area coordinates must be [lon, lat] within -180..180 and -90..90")
    if not geom.is_valid:
        raise AreaError(f"area geometry is invalid: {shapely.is_valid_reason(geom)}")
    return geom


class ServiceArea:
    """A prepared geometry: containment tests after the first cost microseconds, not a polygon walk."""

    def __init__(self, geom: BaseGeometry):
        self.geom = geom
        shapely.prepare(geom)
        self.geojson = mapping(geom)

    @classmethod
    def from_geojson(cls, raw: Any) -> ServiceArea:
        return cls(parse_area(raw))

    def contains(self, lat: float, lon: float) -> bool:
        """True inside the area or on its boundary (a call on the boundary line is still ours)."""
        return bool(shapely.intersects_xy(self.geom, lon, lat))
