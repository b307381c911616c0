"""AED registers as published (GeoJSON with any properties, CSV, Overpass JSON) and opening hours."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from geo.aed_hours import offered, open_at
from geo.aed_register import Fields, read_register
from geo.aeds import AedImportError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aeds"
LONDON = ZoneInfo("Europe/London")


def collection(*features, **extra) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra}).encode()


def point(lon, lat, **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def test_a_council_register_without_ids_imports_with_names_from_location_and_stable_ids():
    content = (FIXTURES / "trafford_defibrillators.geojson").read_bytes()
    first, again = read_register(content, "json"), read_register(content, "json")
    assert len(first.aeds) == 185 and first.warnings == []
    assert [a.id for a in first.aeds] == [a.id for a in again.aeds]
    acre = first.aeds[0]
    assert (acre.id, acre.name, acre.access, acre.lat, acre.lon) == (
        "at:53.44827,-2.39318",
        "Acre Hall Primary",
        None,
        53.448269,
        -2.393184,
    )
    assert len({a.id for a in first.aeds}) == 185  # seven at Old Trafford, each its own


def test_the_same_register_as_csv_gives_the_same_aeds():
    from_csv = read_register((FIXTURES / "trafford_defibrillators.csv").read_bytes(), "csv")
    from_geojson = read_register((FIXTURES / "trafford_defibrillators.geojson").read_bytes(), "json")
    assert [(a.id, a.name, a.lat, a.lon) for a in from_csv.aeds] == [
        (a.id, a.name, a.lat, a.lon) for a in from_geojson.aeds
    ]


def test_an_overpass_answer_reads_osm_ids_tags_and_centres_and_skips_way_nodes():
    bern = read_register((FIXTURES / "overpass-bern.json").read_bytes(), "json")
    assert len(bern.aeds) == 9 and bern.aeds[0].id == "node/3523273974"
    private = next(a for a in bern.aeds if a.id == "node/4754554077")
    assert private.access == "private" and private.name == "First Floor, inside"  # defibrillator:location
    leeds = read_register((FIXTURES / "overpass-hours-constructed.json").read_bytes(), "json")
    assert [a.id for a in leeds.aeds] == [f"node/900000000{i}" for i in range(1, 5)] + ["way/900000005"]
    assert leeds.aeds[0].opening_hours == "Mo-Fr 08:00-16:30; PH off"
    assert leeds.aeds[3].name == "Station concourse, by the ticket office"
    assert leeds.aeds[4].opening_hours is None  # "ask at reception" is not opening hours
    assert [w["id"] for w in leeds.warnings] == ["way/900000005", None]
    assert "ask at reception" in leeds.warnings[0]["message"] and "offered at any time" in leeds.warnings[0]["message"]
    assert leeds.warnings[1]["message"] == "1 element(s) without tags were skipped (the nodes of ways)"


def test_fields_name_the_properties_a_publisher_used():
    content = collection(
        point(-1.55, 53.8, **{"AED ID": "LCC-17", "Site": "Town Hall", "Public": "no", "Hours": "Mo-Fr 09:00-17:00"})
    )
    default = read_register(content, "json").aeds[0]
    assert (default.id, default.name, default.access, default.opening_hours) == (
        "at:53.80000,-1.55000",
        None,
        None,
        None,
    )
    mapped = read_register(content, "json", Fields(id="AED ID", name="site", access="Public", hours="Hours")).aeds[0]
    assert (mapped.id, mapped.name, mapped.access, mapped.opening_hours) == (
        "LCC-17",
        "Town Hall",
        "no",
        "Mo-Fr 09:00-17:00",
    )


def test_csv_with_eastings_and_northings_is_converted_from_the_national_grid():
    csv = "Site,Easting,Northing\r\nKirkstall Leisure Centre,422242.186,433818.701\r\n".encode("cp1252")
    (aed,) = read_register(csv, "csv").aeds
    assert math.isclose(aed.lat, 53.8002152, abs_tol=1e-6) and math.isclose(aed.lon, -1.6637917, abs_tol=1e-6)
    with pytest.raises(AedImportError, match="invalid feature") as caught:
        read_register(b"Site,Postcode\nx,LS1 1AA\n", "csv")
    assert "Latitude and Longitude" in caught.value.errors[0]["message"]


def test_geojson_in_british_national_grid_is_converted():
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    (aed,) = read_register(collection(point(422242.186, 433818.701, name="x"), crs=crs), "json").aeds
    assert math.isclose(aed.lat, 53.8002152, abs_tol=1e-6)


def test_every_bad_feature_is_reported_and_nothing_is_imported():
    with pytest.raises(AedImportError) as caught:
        read_register(
            collection(
                point(-1.55, 53.8, id="a"),
                point(-1.5, 53.8, id="a"),
                point(math.inf, 53.8, id="b") | {"geometry": {"type": "Point", "coordinates": ["x", 53.8]}},
                point(-1.5, 86.0, id="c"),
                point(181, 0, id="d"),
                {"type": "Feature", "geometry": None, "properties": {"id": "f"}},
                "junk",
                point(0, 0, id="x" * 200),
            ),
            "json",
        )
    errors = caught.value.errors
    assert [e["index"] for e in errors] == [1, 2, 3, 4, 5, 6, 7]
    assert errors[0] == {"index": 1, "id": "a", "message": "duplicate id (first at feature 0)"}
    assert "finite" in errors[1]["message"] and "latitude" in errors[2]["message"]
    assert "longitude" in errors[3]["message"] and "Point" in errors[4]["message"]
    assert "Feature" in errors[5]["message"] and "longer than 128" in errors[6]["message"]
    with pytest.raises(AedImportError, match="invalid feature") as caught:
        read_register(b"Location,Latitude,Longitude\nok,53.8,-1.5\nbad,north,-1.5\n", "csv")
    assert caught.value.errors == [
        {"index": 1, "id": None, "message": "Latitude and Longitude must be numbers (line 3)"}
    ]


@pytest.mark.parametrize(
    "body", [b"null", b"[]", b'{"type": "Feature"}', b'{"type": "FeatureCollection", "features": {}}', b"{"]
)
def test_a_body_that_is_no_register_is_refused_whole(body):
    with pytest.raises(AedImportError) as caught:
        read_register(body, "json")
    assert caught.value.errors[0]["index"] == -1


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp()


def test_opening_hours_are_read_in_the_trusts_time_zone_with_its_public_holidays():
    school = "Mo-Fr 08:00-16:30; PH off"
    here = {"zone": "Europe/London", "country": "GB", "lat": 53.8, "lon": -1.55}
    assert open_at(school, at=at("2026-12-02T10:00"), **here)  # a Wednesday morning
    assert not open_at(school, at=at("2026-12-02T03:00"), **here)  # the locked school at 3 a.m.
    assert not open_at(school, at=at("2026-12-25T10:00"), **here)  # Christmas Day, a Friday: PH off
    summer = datetime(2026, 7, 1, 7, 30, tzinfo=ZoneInfo("UTC")).timestamp()  # 08:30 BST
    assert open_at(school, at=summer, **here)
    assert not open_at(school, at=summer, **here | {"zone": "UTC"})
    assert open_at("ask at reception", at=at("2026-12-02T03:00"), **here)  # unreadable: offered
    assert open_at(None, at=at("2026-12-02T03:00"), **here)
    assert not offered("Private", "24/7", at=at("2026-12-02T10:00"), **here)
    assert not offered("no", None, at=at("2026-12-02T10:00"), **here)
    assert offered("customers", "24/7", at=at("2026-12-02T03:00"), **here)
