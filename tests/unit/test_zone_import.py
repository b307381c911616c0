"""Zone files into policy zones: rules from the file or kept by name, and every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerting.domain.zone_import import (
    ZoneImportError,
    from_geojson,
    from_placemarks,
    to_feature_collection,
    to_zone_docs,
)
from geo.kml import parse_kml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
PHASES = [{"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0}]


def feature(name=None, geometry=SQUARE, **props):
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name, **props}}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def test_kml_placemarks_become_zones_in_file_order_with_their_rules():
    zones = to_zone_docs(from_placemarks(parse_kml((FIXTURES / "leeds-zones.kml").read_bytes())), [])
    assert [z["name"] for z in zones] == ["City centre", "Rural north", "Reservoirs"]
    assert zones[0]["accept_limit"] == 1 and zones[0]["phases"][0]["groups"] == ["staff"]
    assert "accept_limit" not in zones[1] and zones[1]["phases"][0]["radius_m"] == 3000
    assert [p["name"] for p in zones[2]["phases"]] == ["near", "wide"]


def test_a_redrawn_zone_without_rules_keeps_the_rules_of_its_namesake():
    existing = [{"name": "north", "area": SQUARE, "phases": PHASES, "accept_limit": 3}]
    moved = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 0]]]}
    [zone] = to_zone_docs(from_geojson(collection(feature("north", moved))), existing)
    assert zone == {"name": "north", "area": moved, "phases": PHASES, "accept_limit": 3}
    [zone] = to_zone_docs(from_geojson(collection(feature("north", moved, accept_limit="1"))), existing)
    assert zone["accept_limit"] == 1


def test_every_problem_is_reported_against_its_feature():
    doc = collection(
        feature("fine", phases=PHASES),
        feature("new", geometry=SQUARE),  # no rules and no namesake
        feature(None, phases=PHASES),
        feature("pin", geometry={"type": "Point", "coordinates": [0, 0]}, phases=PHASES),
        feature("typo", phases='[{"name": "x",}]'),
        feature("limit", phases=PHASES, accept_limit="two"),
        "not a feature",
    )
    with pytest.raises(ZoneImportError) as caught:
        to_zone_docs(from_geojson(doc), [])
    got = [(p.loc, p.name) for p in caught.value.problems]
    assert got == [
        ("features[1]", "new"),
        ("features[2]", None),
        ("features[3]", "pin"),
        ("features[4]", "typo"),
        ("features[5]", "limit"),
        ("features[6]", None),
    ]
    msgs = [p.msg for p in caught.value.problems]
    assert "no 'phases'" in msgs[0] and "no name" in msgs[1] and "Point" in msgs[2]
    assert "not valid JSON" in msgs[3] and "whole number" in msgs[4] and "not a GeoJSON Feature" in msgs[5]


@pytest.mark.parametrize("doc", [[], {"type": "Polygon"}, {"type": "FeatureCollection", "features": []}])
def test_a_document_that_is_not_a_feature_collection_is_refused(doc):
    with pytest.raises(ZoneImportError):
        from_geojson(doc)


def test_exported_collection_imports_back_to_the_same_zones():
    zones = [
        {"name": "a", "area": SQUARE, "phases": PHASES, "accept_limit": 2},
        {"name": "b", "area": SQUARE, "phases": PHASES},
    ]
    exported = to_feature_collection(zones)
    assert [f["properties"]["order"] for f in exported["features"]] == [0, 1]
    assert to_zone_docs(from_geojson(exported), []) == zones


def test_zones_are_named_by_the_property_the_file_uses():
    doc = collection(
        feature(None, NHSER22NM=" London ", phases=PHASES),
        feature("ignored", NHSER22NM=40000003, phases=PHASES),  # a code as a number is its digits
        feature("x", NHSER22NM=True, phases=PHASES),
        feature("y", phases=PHASES),
    )
    features = from_geojson(doc, name_property="NHSER22NM")
    assert [f.name for f in features] == ["London", "40000003", None, None]
    with pytest.raises(ZoneImportError) as caught:
        to_zone_docs(features, [], name_property="NHSER22NM")
    assert [(p.loc, p.msg) for p in caught.value.problems] == [
        ("features[2]", "has no 'NHSER22NM' property to name it by; every zone needs one"),
        ("features[3]", "has no 'NHSER22NM' property to name it by; every zone needs one"),
    ]


def test_kml_zones_are_named_by_an_extended_data_field_and_may_start_with_default_phases():
    placemarks = parse_kml((FIXTURES / "nhs-regions.kml").read_bytes())
    assert [p.name for p in placemarks] == [None, None]
    features = from_placemarks(placemarks, name_property="nhser22nm")
    with pytest.raises(ZoneImportError, match="no zone of this name exists"):
        to_zone_docs(features, [])
    zones = to_zone_docs(
        features, [{"name": "North West", "area": SQUARE, "phases": PHASES, "accept_limit": 2}], default_phases=[]
    )
    assert [(z["name"], z["phases"], z.get("accept_limit")) for z in zones] == [
        ("North West", PHASES, 2),
        ("North East and Yorkshire", [], None),
    ]
