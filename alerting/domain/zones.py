"""Named policy zones: areas inside a trust that carry their own phases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.areas import AreaError, ServiceArea

ZoneError = AreaError


@dataclass(frozen=True, slots=True)
class ZoneArea:
    """A prepared zone geometry; equality is by GeoJSON so policies compare by value."""

    geojson: dict[str, Any]
    _area: ServiceArea

    @classmethod
    def from_geojson(cls, raw: Any) -> ZoneArea:
        area = ServiceArea.from_geojson(raw)
        return cls(area.geojson, area)

    def contains(self, lat: float, lon: float) -> bool:
        return self._area.contains(lat, lon)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ZoneArea) and other.geojson == self.geojson

    def __hash__(self) -> int:
        return hash(repr(self.geojson))
