"""KML (and KMZ) polygons in and out, as GeoJSON geometries with each placemark's data.

Trusts draw regions in Google Earth or a GIS and export KML. Reading goes through defusedxml, so
entity expansion and external references in an uploaded file are refused rather than followed.
Each placemark is parsed on its own and carries its own problem, so an import can report every
broken placemark at once; namespaces are ignored (KML 2.1, 2.2 and the Google extensions all occur).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

KML_NS = "http://www.opengis.net/kml/2.2"
MAX_KMZ_BYTES = 20 * 1024 * 1024  # uncompressed: a zip bomb stops here, real zone files are far smaller
_NOT_POLYGONS = ("Point", "LineString", "LinearRing", "Model", "Track", "MultiTrack")


class KmlError(ValueError):
    """The document as a whole cannot be read: not XML, unsafe XML, or no placemarks at all."""


@dataclass(frozen=True, slots=True)
class Placemark:
    """One placemark: its name, its area as GeoJSON (None when unusable), its data, and what is wrong."""

    index: int
    name: str | None
    area: dict[str, Any] | None
    data: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el: Element, name: str) -> Iterator[Element]:
    return (c for c in el if _local(c.tag) == name)


def _child(el: Element, name: str) -> Element | None:
    return next(_children(el, name), None)


def _descendants(el: Element, name: str) -> Iterator[Element]:
    return (c for c in el.iter() if _local(c.tag) == name)


def _ring(coords_el: Element | None, what: str) -> list[list[float]]:
    if coords_el is None or not (coords_el.text or "").strip():
        raise ValueError(f"{what} has no coordinates")
    ring: list[list[float]] = []
    for n, token in enumerate((coords_el.text or "").split(), start=1):
        parts = token.split(",")
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise ValueError(f"{what}: position {n} {token!r} is not 'lon,lat[,alt]'") from None
        ring.append([lon, lat])
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))  # KML says rings are closed; many tools forget the last point
    if len(ring) < 4:
        raise ValueError(f"{what} needs at least 3 distinct positions, has {len(ring) - 1}")
    return ring


def _polygon(poly: Element) -> list[list[list[float]]]:
    outer = _child(poly, "outerBoundaryIs")
    if outer is None:
        raise ValueError("a Polygon has no outerBoundaryIs")
    rings = [_ring(_child_coords(outer), "the outer boundary")]
    for i, inner in enumerate(_children(poly, "innerBoundaryIs")):
        for ring_el in _children(inner, "LinearRing"):
            rings.append(_ring(_child(ring_el, "coordinates"), f"inner boundary {i}"))
    return rings


def _child_coords(boundary: Element) -> Element | None:
    ring = _child(boundary, "LinearRing")
    return _child(ring, "coordinates") if ring is not None else None


def _geometry(placemark: Element) -> dict[str, Any]:
    polygons = list(_descendants(placemark, "Polygon"))
    others = sorted(
        {_local(e.tag) for e in placemark.iter() if _local(e.tag) in _NOT_POLYGONS}
        - ({"LinearRing"} if polygons else set())
    )
    if not polygons:
        found = f"it holds a {others[0]}" if others else "it has no geometry"
        raise ValueError(f"a zone must be a Polygon or MultiGeometry of Polygons; {found}")
    if others:
        raise ValueError(f"a zone must hold only polygons; it also holds a {others[0]}")
    shapes = [_polygon(p) for p in polygons]
    if len(shapes) == 1:
        return {"type": "Polygon", "coordinates": shapes[0]}
    return {"type": "MultiPolygon", "coordinates": shapes}


def _data(placemark: Element) -> dict[str, str]:
    out: dict[str, str] = {}
    extended = _child(placemark, "ExtendedData")
    if extended is None:
        return out
    for d in _descendants(extended, "Data"):
        value = _child(d, "value")
        if name := d.get("name"):
            out[name] = (value.text or "").strip() if value is not None else ""
    for d in _descendants(extended, "SimpleData"):
        if name := d.get("name"):
            out[name] = (d.text or "").strip()
    return out


def read_kmz(blob: bytes) -> bytes:
    """The KML document inside a KMZ: doc.kml, or else the first .kml entry."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            entries = [i for i in z.infolist() if i.filename.lower().endswith(".kml")]
            if not entries:
                raise KmlError("the KMZ holds no .kml document")
            entry = next((i for i in entries if i.filename.lower() == "doc.kml"), entries[0])
            if entry.file_size > MAX_KMZ_BYTES:
                raise KmlError(f"the KML inside the KMZ is larger than {MAX_KMZ_BYTES // (1024 * 1024)} MiB")
            with z.open(entry) as f:
                data = f.read(MAX_KMZ_BYTES + 1)
    except zipfile.BadZipFile as exc:
        raise KmlError(f"not a KMZ (zip) file: {exc}") from exc
    except (NotImplementedError, RuntimeError) as exc:  # unsupported compression method; encrypted entry
        raise KmlError(f"the KMZ cannot be unpacked: {exc}") from exc
    if len(data) > MAX_KMZ_BYTES:
        raise KmlError(f"the KML inside the KMZ is larger than {MAX_KMZ_BYTES // (1024 * 1024)} MiB")
    return data


def parse_kml(document: bytes) -> list[Placemark]:
    """Every placemark in document order (folders flattened), each with its area or its problem."""
    try:
        root = SafeET.fromstring(document)
    except DefusedXmlException as exc:
        raise KmlError(f"the KML uses XML features that are refused for safety ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        raise KmlError(f"not well-formed XML: {exc}") from exc
    if _local(root.tag) != "kml":
        raise KmlError(f"not a KML document: the root element is <{_local(root.tag)}>")
    placemarks = list(_descendants(root, "Placemark"))
    if not placemarks:
        raise KmlError("the KML holds no placemarks")
    out: list[Placemark] = []
    for i, pm in enumerate(placemarks):
        name_el = _child(pm, "name")
        name = (name_el.text or "").strip() or None if name_el is not None else None
        data = _data(pm)
        try:
            out.append(Placemark(i, name, _geometry(pm), data))
        except ValueError as exc:
            out.append(Placemark(i, name, None, data, str(exc)))
    return out


def _coords(ring: Sequence[Sequence[float]]) -> str:
    return " ".join(f"{p[0]:.7f},{p[1]:.7f}" for p in ring)


def _add_polygon(parent: Element, rings: Sequence[Sequence[Sequence[float]]]) -> None:
    poly = SubElement(parent, "Polygon")
    for n, ring in enumerate(rings):
        boundary = SubElement(poly, "outerBoundaryIs" if n == 0 else "innerBoundaryIs")
        SubElement(SubElement(boundary, "LinearRing"), "coordinates").text = _coords(ring)


def write_kml(name: str, placemarks: Sequence[tuple[str, Mapping[str, Any], Mapping[str, Any]]]) -> bytes:
    """A KML document of (name, GeoJSON Polygon/MultiPolygon, data) placemarks; data values that are
    not strings are written as JSON, so a file exported here imports back unchanged."""
    kml = Element("kml", xmlns=KML_NS)
    doc = SubElement(kml, "Document")
    SubElement(doc, "name").text = name
    for pm_name, area, data in placemarks:
        pm = SubElement(doc, "Placemark")
        SubElement(pm, "name").text = pm_name
        if data:
            extended = SubElement(pm, "ExtendedData")
            for key, value in data.items():
                d = SubElement(extended, "Data", name=key)
                SubElement(d, "value").text = value if isinstance(value, str) else json.dumps(value)
        if area["type"] == "Polygon":
            _add_polygon(pm, area["coordinates"])
        else:
            multi = SubElement(pm, "MultiGeometry")
            for rings in area["coordinates"]:
                _add_polygon(multi, rings)
    body: bytes = tostring(kml, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
