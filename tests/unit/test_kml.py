"""KML and KMZ reading: real-world-shaped files, per-placemark problems, unsafe XML, and the way back out."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from geo.kml import KmlError, parse_kml, read_kmz, write_kml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"


def test_google_earth_export_reads_every_placemark_in_order():
    placemarks = parse_kml((FIXTURES / "leeds-zones.kml").read_bytes())
    assert [p.name for p in placemarks] == ["City centre", "Rural north", "Reservoirs"]
    assert all(p.problem is None for p in placemarks)
    city, rural, reservoirs = placemarks
    assert city.area == {
        "type": "Polygon",
        "coordinates": [[[-1.56, 53.79], [-1.53, 53.79], [-1.53, 53.81], [-1.56, 53.81], [-1.56, 53.79]]],
    }
    assert json.loads(city.data["phases"])[0]["radius_m"] == 200 and city.data["accept_limit"] == "1"
    # altitudes dropped, the unclosed ring closed
    assert rural.area["coordinates"][0][0] == [-1.7, 53.85] and rural.area["coordinates"][0][-1] == [-1.7, 53.85]
    assert reservoirs.area["type"] == "MultiPolygon"
    assert len(reservoirs.area["coordinates"][0]) == 2  # outer ring and a hole
    assert json.loads(reservoirs.data["phases"])[1]["delay_s"] == 60  # from SchemaData/SimpleData


def kml(*placemarks: str) -> bytes:
    return (
        '<kml xmlns="http://earth.google.com/kml/2.1"><Document>' + "".join(placemarks) + "</Document></kml>"
    ).encode()


RING = "<outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs>"


@pytest.mark.parametrize(
    "body, says",
    [
        ("<Point><coordinates>0,0</coordinates></Point>", "it holds a Point"),
        ("", "it has no geometry"),
        (
            "<MultiGeometry><Polygon>" + RING + "</Polygon><LineString><coordinates>0,0 1,1</coordinates></LineString>"
            "</MultiGeometry>",
            "also holds a LineString",
        ),
        (
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,x 1,1</coordinates></LinearRing></outerBoundaryIs>"
            "</Polygon>",
            "position 2 '1,x'",
        ),
        (
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,1</coordinates></LinearRing></outerBoundaryIs>"
            "</Polygon>",
            "at least 3 distinct positions",
        ),
        ("<Polygon><innerBoundaryIs/></Polygon>", "no outerBoundaryIs"),
    ],
)
def test_each_broken_placemark_carries_its_own_problem(body, says):
    good = f"<Placemark><name>good</name><Polygon>{RING}</Polygon></Placemark>"
    placemarks = parse_kml(kml(good, f"<Placemark><name>bad</name>{body}</Placemark>", good))
    assert [p.problem for p in placemarks][::2] == [None, None]
    assert placemarks[1].name == "bad" and placemarks[1].area is None and says in placemarks[1].problem


@pytest.mark.parametrize(
    "document, says",
    [
        (b"<kml><Document>", "not well-formed"),
        (b"<html><body/></html>", "root element is <html>"),
        (b"<kml><Document><name>empty</name></Document></kml>", "no placemarks"),
        (
            b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<kml><Document><name>&b;</name></Document></kml>",
            "refused for safety",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]><kml>&x;</kml>',
            "refused for safety",
        ),
    ],
)
def test_unreadable_or_unsafe_documents_are_refused_whole(document, says):
    with pytest.raises(KmlError, match=says):
        parse_kml(document)


def zipped(**entries: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name.replace("__", "/"), data)
    return buf.getvalue()


def test_kmz_yields_its_doc_kml():
    doc = (FIXTURES / "leeds-zones.kml").read_bytes()
    assert read_kmz(zipped(**{"files__icon.png": b"\x89PNG", "doc.kml": doc})) == doc
    with pytest.raises(KmlError, match="no .kml"):
        read_kmz(zipped(**{"readme.txt": b"hello"}))
    with pytest.raises(KmlError, match="not a KMZ"):
        read_kmz(b"plain text")


def test_written_kml_reads_back_the_same_areas_and_data():
    hole = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]],
    }
    multi = {"type": "MultiPolygon", "coordinates": [hole["coordinates"], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]}
    phases = [{"name": "all", "groups": ["a & b <c>"], "radius_m": 100, "delay_s": 0}]
    out = parse_kml(write_kml("Trust <zones>", [("one & only", hole, {"phases": phases}), ("two", multi, {})]))
    assert [(p.name, p.area, p.problem) for p in out] == [("one & only", hole, None), ("two", multi, None)]
    assert json.loads(out[0].data["phases"]) == phases and out[1].data == {}


def test_an_encrypted_kmz_is_refused_with_the_reason():
    blob = bytearray(zipped(**{"doc.kml": b"<kml/>"}))
    # set the "encrypted" flag bit in both the local and the central directory headers
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = blob.index(sig) + (6 if sig == b"PK\x03\x04" else 8)
        blob[at] |= 1
    with pytest.raises(KmlError, match="cannot be unpacked"):
        read_kmz(bytes(blob))
