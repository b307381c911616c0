"""PIDF-LO (RFC 4119, RFC 5491, RFC 5139): the location an EIDO carries by value.

A geodetic shape gives the point: `gml:Point`, or the centre of a `gs:Circle`, `gs:Ellipse`,
`gs:Ellipsoid`, `gs:Sphere` or `gs:ArcBand` (`gml:pos` is "lat lon [alt]" in EPSG 4326/4979
order). A civic address gives the text shown to responders and, through `PLC`, the place type.
Addresses are never geocoded here: a civic address needs coordinates beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from dispatch_adapter.mappings.errors import MappingError
from dispatch_adapter.mappings.xml import parse_xml, text_of

GML = "http://www.opengis.net/gml"
GS = "http://www.opengis.net/pidflo/1.0"
CIVIC = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
CENTRED_SHAPES = ("Circle", "Ellipse", "Ellipsoid", "Sphere", "ArcBand")
POINT_SHAPES = frozenset({f"{{{GML}}}Point"} | {f"{{{GS}}}{shape}" for shape in CENTRED_SHAPES})
AREA_SHAPES = frozenset({f"{{{GML}}}Polygon", f"{{{GS}}}Prism"})


@dataclass(frozen=True, slots=True)
class PidfLocation:
    lat: float
    lon: float
    address: str | None
    place_type: str | None


def parse_pidf(xml: str, field: str) -> PidfLocation:
    root = parse_xml(xml, field)
    lat, lon = _point(root, field)
    civic = next(root.iter(f"{{{CIVIC}}}civicAddress"), None)
    place_type = text_of(civic.find(f"{{{CIVIC}}}PLC")) if civic is not None else None
    return PidfLocation(lat, lon, _address(civic), place_type)


def _point(root: Element, field: str) -> tuple[float, float]:
    shapes = [e for e in root.iter() if e.tag in POINT_SHAPES]
    if not shapes:
        if any(e.tag in AREA_SHAPES for e in root.iter()):
            raise MappingError(field, "a polygon or prism is not a point; send a gml:Point or a gs:Circle")
        if next(root.iter(f"{{{CIVIC}}}civicAddress"), None) is not None:
            raise MappingError(
                field, "the civic address has no coordinates; send a gml:Point beside it (addresses are not geocoded)"
            )
        raise MappingError(field, "no location: expected a gml:Point or a gs:Circle in location-info")
    pos = text_of(shapes[0].find(f"{{{GML}}}pos"))
    if pos is None:
        raise MappingError(f"{field} gml:pos", "missing")
    parts = pos.split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError) as exc:
        raise MappingError(f"{field} gml:pos", f"expected 'lat lon', got {pos[:60]!r}") from exc
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise MappingError(f"{field} gml:pos", "coordinates must be finite numbers")
    return lat, lon


def _address(civic: Element | None) -> str | None:
    if civic is None:
        return None

    def part(tag: str) -> str | None:
        return text_of(civic.find(f"{{{CIVIC}}}{tag}"))

    number = "".join(p for p in (part("HNO"), part("HNS")) if p)
    street = " ".join(p for p in (number, part("PRD"), part("RD"), part("STS"), part("POD")) if p)
    lines = [part("NAM"), part("LMK"), street, part("A6"), part("A3"), part("PC")]
    return ", ".join(line for line in lines if line) or None
