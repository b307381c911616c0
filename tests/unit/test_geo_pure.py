"""The pure geography: haversine, ETA, service areas and AED file validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.aeds import AedImportError, parse_aeds
from geo.areas import AreaError, ServiceArea, parse_area
from geo.distance import M_PER_DEG_LAT, eta_s, haversine_m, valid_point

lats = st.floats(-90, 90)
lons = st.floats(-180, 180)


def test_haversine_known_distances():
    assert haversine_m(0, 0, 0, 0) == 0
    assert haversine_m(53.8, -1.55, 53.8 + 1, -1.55) == pytest.approx(M_PER_DEG_LAT)
    assert haversine_m(0, 179.9, 0, -179.9) == pytest.approx(0.2 * M_PER_DEG_LAT)  # across the antimeridian
    assert haversine_m(90, 0, 90, 123) == pytest.approx(0, abs=1e-6)  # every longitude meets at the pole
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8)
    # London to Leeds, about 272 km as the crow flies.
    assert haversine_m(51.5074, -0.1278, 53.8008, -1.5491) == pytest.approx(272_000, rel=0.01)


@given(lats, lons, lats, lons)
def test_haversine_is_a_symmetric_bounded_distance(lat1, lon1, lat2, lon2):
    d = haversine_m(lat1, lon1, lat2, lon2)
    assert d == pytest.approx(haversine_m(lat2, lon2, lat1, lon1), abs=1e-6)
    assert 0 <= d <= math.pi * 6_371_008.8 + 1e-6


def test_eta_uses_route_factor_and_walking_speed():
    assert eta_s(0) == 0
    assert eta_s(160, walking_speed_mps=1.6, route_factor=1.0) == 100
    assert eta_s(160, walking_speed_mps=1.6, route_factor=1.3) == 130
    assert eta_s(100.1, walking_speed_mps=1.0, route_factor=1.0) == 101  # rounded up, never optimistic
    with pytest.raises(ValueError):
        eta_s(10, walking_speed_mps=0)
    with pytest.raises(ValueError):
        eta_s(10, route_factor=0.9)


def test_valid_point():
    assert valid_point(90, 180) and valid_point(-90, -180)
    assert not valid_point(90.1, 0) and not valid_point(0, -180.5) and not valid_point(math.nan, 0)


SQUARE = {"type": "Polygon", "coordinates": [[[-1.7, 53.7], [-1.4, 53.7], [-1.4, 53.9], [-1.7, 53.9], [-1.7, 53.7]]]}


def test_service_area_contains_inside_and_boundary_not_outside():
    area = ServiceArea.from_geojson(SQUARE)
    assert area.contains(53.8, -1.55)
    assert area.contains(53.7, -1.55)  # on the boundary
    assert not area.contains(51.5, -0.12)
    multi = ServiceArea.from_geojson(
        {
            "type": "MultiPolygon",
            "coordinates": [SQUARE["coordinates"], [[[0, 51], [1, 51], [1, 52], [0, 52], [0, 51]]]],
        }
    )
    assert multi.contains(51.5, 0.5) and multi.contains(53.8, -1.55) and not multi.contains(52.5, -0.5)


@pytest.mark.parametrize(
    "raw, says",
    [
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
        ("not a dict", "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "not valid GeoJSON"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]}, "-180..180"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "Self-intersection"),
    ],
)
def test_bad_areas_are_refused_saying_why(raw, says):
    with pytest.raises(AreaError, match=says):
        parse_area(raw)


def point(fid, lon, lat, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": fid, **props},
    }


def test_aed_file_parses_ids_names_and_exact_coordinates():
    aeds = parse_aeds(
        {
            "type": "FeatureCollection",
            "features": [point("a", -1.55, 53.8, name="Library", access="24/7"), point(17, -1.5, 53.81)],
        }
    )
    assert [(a.id, a.name, a.access, a.lat, a.lon) for a in aeds] == [
        ("a", "Library", "24/7", 53.8, -1.55),
        ("17", None, None, 53.81, -1.5),
    ]
    assert parse_aeds({"type": "FeatureCollection", "features": []}) == []


def test_aed_file_reports_every_bad_feature_by_index():
    with pytest.raises(AedImportError) as caught:
        parse_aeds(
            {
                "type": "FeatureCollection",
                "features": [
                    point("a", -1.55, 53.8),
                    point("a", -1.5, 53.8),
                    point("b", math.inf, 53.8),
                    point("c", -1.5, 86.0),
                    point("d", 181, 0),
                    point("", 0, 0),
                    point("e", 0, 0, name=5),
                    {"type": "Feature", "geometry": None, "properties": {"id": "f"}},
                    "junk",
                    point(True, 0, 0),
                ],
            }
        )
    errors = caught.value.errors
    assert [e["index"] for e in errors] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert errors[0] == {"index": 1, "id": "a", "message": "duplicate id (first at feature 0)"}
    assert errors[1]["id"] == "b" and "finite" in errors[1]["message"]
    assert "latitude" in errors[2]["message"] and "longitude" in errors[3]["message"]
    assert errors[4]["id"] is None and "id" in errors[4]["message"]
    assert "name" in errors[5]["message"] and "Point" in errors[6]["message"]
    assert "Feature" in errors[7]["message"] and errors[8]["id"] is None


@pytest.mark.parametrize("body", [None, [], {"type": "Feature"}, {"type": "FeatureCollection", "features": {}}])
def test_aed_body_that_is_not_a_feature_collection(body):
    with pytest.raises(AedImportError) as caught:
        parse_aeds(body)
    assert caught.value.errors[0]["index"] == -1
