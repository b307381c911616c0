"""PIDF-LO (RFC 4119, RFC 5491, RFC 5139): the location an EIDO carries by value.

A geodetic shape gives the point: `gml:Point`, or the centre of a `gs:Circle`, `gs:Ellipse`,
`gs:Ellipsoid`, `gs:Sphere` or `gs:ArcBand` (`gml:pos` is "lat lon [alt]" in EPSG 4326/4979
order; "easting northing" when the shape's `srsName` is EPSG:27700, the British National Grid),
or RFC 4119's `gml:coordinates` ("lat lon" or "lat,lon" in degrees, or degrees, minutes
and seconds with hemispheres, "37:46:30N 122:25:10W"). A civic address gives the text shown to
responders and, through `PLC`, the place type. Addresses are never geocoded here: a civic address
needs coordinates beside it.

Published samples are not always well-formed XML (NENA's 2020 EIDO sample has undeclared prefixes
and a tag missing its `>`). Such a document is still read when exactly one point can be found in it
textually; its address and place type are then not read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from dispatch_adapter.mappings.errors import MappingError
from dispatch_adapter.mappings.xml import parse_xml, text_of
from geo import grid

GML = "http://www.opengis.net/gml"
GML_RFC4119 = "urn:opengis:specification:gml:schema-xsd:feature:v3.0"  # RFC 4119's own examples
GS = "http://www.opengis.net/pidflo/1.0"
CIVIC = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
CENTRED_SHAPES = ("Circle", "Ellipse", "Ellipsoid", "Sphere", "ArcBand")
POINT_SHAPES = frozenset(
    {f"{{{GML}}}Point", f"{{{GML_RFC4119}}}Point"} | {f"{{{GS}}}{shape}" for shape in CENTRED_SHAPES}
)
AREA_SHAPES = frozenset({f"{{{GML}}}Polygon", f"{{{GS}}}Prism"})


@dataclass(frozen=True, slots=True)
class PidfLocation:
    lat: float
    lon: float
    address: str | None
    place_type: str | None


def parse_pidf(xml: str, field: str) -> PidfLocation:
    try:
        root = parse_xml(xml, field)
    except MappingError as exc:
        if not exc.problem.startswith("not well-formed"):
            raise  # a DTD or entity is refused, never salvaged
        return _salvaged(xml, field, exc)
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
    on_grid = grid.is_british_grid(shapes[0].get("srsName"))
    for gml in (GML, GML_RFC4119):
        pos = text_of(shapes[0].find(f"{{{gml}}}pos"))
        if pos is not None:
            return _grid_point(pos, f"{field} gml:pos") if on_grid else _pos(pos, f"{field} gml:pos")
        coordinates = text_of(shapes[0].find(f"{{{gml}}}coordinates"))
        if coordinates is not None:
            return coordinates_point(coordinates, f"{field} gml:coordinates")
    raise MappingError(f"{field} gml:pos", "missing")


def _grid_point(pos: str, field: str) -> tuple[float, float]:
    """A point whose srsName is EPSG:27700: "easting northing" in metres, converted to lat, lon."""
    try:
        return grid.to_wgs84(*grid.read_pair(pos))
    except grid.GridError as exc:
        raise MappingError(field, f"srsName is the British National Grid: {exc}") from exc


def _pos(pos: str, field: str) -> tuple[float, float]:
    parts = pos.split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError) as exc:
        raise MappingError(field, f"expected 'lat lon', got {pos[:60]!r}") from exc
    return _finite(lat, lon, field)


def _finite(lat: float, lon: float, field: str) -> tuple[float, float]:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise MappingError(field, "coordinates must be finite numbers")
    return lat, lon


_DMS = re.compile(r"^(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?)?([NSEW])$", re.IGNORECASE)


def _angle(text: str, field: str) -> tuple[float, str | None]:
    """Decimal degrees, or RFC 4119's degrees:minutes:seconds with a hemisphere letter."""
    match = _DMS.match(text)
    if match is None:
        try:
            return float(text), None
        except ValueError as exc:
            raise MappingError(field, f"expected degrees or d:m:sH, got {text[:40]!r}") from exc
    degrees, minutes, seconds, hemisphere = match.groups()
    minutes_f, seconds_f = float(minutes or 0), float(seconds or 0)
    if minutes_f >= 60 or seconds_f >= 60:
        raise MappingError(field, f"minutes and seconds are below 60, got {text!r}")
    value = float(degrees) + minutes_f / 60 + seconds_f / 3600
    hemisphere = hemisphere.upper()
    return (-value if hemisphere in "SW" else value), ("lat" if hemisphere in "NS" else "lon")


def coordinates_point(text: str, field: str) -> tuple[float, float]:
    """RFC 4119 `gml:coordinates`: latitude first, unless hemisphere letters say otherwise."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    if len(parts) < 2:
        raise MappingError(field, f"expected 'lat lon', got {text[:60]!r}")
    (a, a_axis), (b, b_axis) = _angle(parts[0], field), _angle(parts[1], field)
    if a_axis == "lon" or b_axis == "lat":
        a, b = b, a
        if a_axis == b_axis:
            raise MappingError(field, f"two {a_axis}itudes in {text[:60]!r}")
    return _finite(a, b, field)


_TEXT_POINT = re.compile(r"<(?:[\w.-]+:)?(pos|coordinates)\b[^<>]*>([^<]*)</(?:[\w.-]+:)?\1\s*>")


def _salvaged(xml: str, field: str, error: MappingError) -> PidfLocation:
    """The one point of a document that is not well-formed XML, or the parser's refusal."""
    found = {(kind, " ".join(text.split())) for kind, text in _TEXT_POINT.findall(xml)}
    if len(found) != 1:
        raise error
    kind, text = found.pop()
    lat, lon = _pos(text, f"{field} gml:pos") if kind == "pos" else coordinates_point(text, f"{field} gml:coordinates")
    return PidfLocation(lat, lon, None, None)


def _address(civic: Element | None) -> str | None:
    if civic is None:
        return None

    def part(tag: str) -> str | None:
        return text_of(civic.find(f"{{{CIVIC}}}{tag}"))

    number = "".join(p for p in (part("HNO"), part("HNS")) if p)
    street = " ".join(p for p in (number, part("PRD"), part("RD"), part("STS"), part("POD")) if p)
    lines = [part("NAM"), part("LMK"), street, part("A6"), part("A3"), part("PC")]
    return ", ".join(line for line in lines if line) or None
