"""The pure geography: haversine, ETA, service areas and AED file validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.areas import AreaError, ServiceArea, parse_area
from geo.distance import M_PER_DEG_LAT, eta_s, haversine_from, haversine_m, valid_point

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


@given(lats, lons, st.lists(st.tuples(lats, lons), max_size=5))
def test_haversine_from_one_point_is_bit_for_bit_haversine(lat1, lon1, others):
    distance_to = haversine_from(lat1, lon1)
    for lat2, lon2 in others:
        assert distance_to(lat2, lon2) == haversine_m(lat1, lon1, lat2, lon2)


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
