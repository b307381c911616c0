"""Which zone decides for a point: one zone, overlapping zones, edges, none, MultiPolygons with holes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerting.domain.policy import build_policy
from alerting.domain.zones import ZoneArea, ZoneError, ZoneLookup


def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def polygon(x0, y0, x1, y1, *holes) -> dict:
    return {"type": "Polygon", "coordinates": [square(x0, y0, x1, y1), *holes]}


PHASE = [{"name": "all", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}]


def policy_with(*zones: tuple[str, dict]):
    raw = {"phases": PHASE, "zones": [{"name": n, "area": a, "phases": PHASE} for n, a in zones]}
    return build_policy(raw, known_groups={"staff"})[0]


def zone_at(policy, lat, lon):
    zone = policy.zone_for(lat, lon)
    return zone.name if zone else None


def test_point_in_one_zone_and_outside_it():
    p = policy_with(("city", polygon(-1.6, 53.7, -1.5, 53.8)))
    assert zone_at(p, 53.75, -1.55) == "city"
    assert zone_at(p, 53.85, -1.55) is None


def test_overlapping_zones_first_in_policy_order_wins():
    inner, outer = polygon(-1.6, 53.7, -1.5, 53.8), polygon(-1.7, 53.6, -1.4, 53.9)
    assert zone_at(policy_with(("inner", inner), ("outer", outer)), 53.75, -1.55) == "inner"
    assert zone_at(policy_with(("outer", outer), ("inner", inner)), 53.75, -1.55) == "outer"
    assert zone_at(policy_with(("inner", inner), ("outer", outer)), 53.65, -1.65) == "outer"


def test_a_point_on_the_edge_or_corner_is_in_the_zone():
    p = policy_with(("city", polygon(-1.6, 53.7, -1.5, 53.8)))
    assert zone_at(p, 53.8, -1.55) == "city"  # on the northern edge
    assert zone_at(p, 53.7, -1.6) == "city"  # on the south-west corner
    assert zone_at(p, 53.8 + 1e-9, -1.55) is None


def test_shared_edge_goes_to_the_first_zone():
    p = policy_with(("west", polygon(-1.6, 53.7, -1.5, 53.8)), ("east", polygon(-1.5, 53.7, -1.4, 53.8)))
    assert zone_at(p, 53.75, -1.5) == "west"


def test_no_zones_means_trust_wide_phases():
    p = policy_with()
    assert p.zones == () and p.zone_for(53.75, -1.55) is None


def test_multipolygon_with_a_hole_excludes_the_hole_and_falls_through_to_the_next_zone():
    park = square(-1.58, 53.73, -1.52, 53.77)
    two_parts = {
        "type": "MultiPolygon",
        "coordinates": [
            [square(-1.6, 53.7, -1.5, 53.8), park],
            [square(-1.3, 53.7, -1.2, 53.8)],
        ],
    }
    p = policy_with(("ring", two_parts), ("park", polygon(-1.58, 53.73, -1.52, 53.77)))
    assert zone_at(p, 53.71, -1.59) == "ring"  # in the first part, outside the hole
    assert zone_at(p, 53.75, -1.25) == "ring"  # in the second part
    assert zone_at(p, 53.75, -1.55) == "park"  # in the hole: the ring does not hold it
    assert zone_at(p, 53.75, -1.40) is None  # between the parts
    assert zone_at(p, 53.77, -1.55) == "ring"  # on the hole's edge: the ring's boundary


@pytest.mark.parametrize(
    "area, says",
    [
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "Self-intersection"),
        ({"type": "Polygon", "coordinates": [[[53.7, -1.6], [53.8, -1.6], [53.8, 100], [53.7, -1.6]]]}, "lon, lat"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}, "coordinates"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
    ],
)
def test_unusable_areas_are_refused_with_the_reason(area, says):
    with pytest.raises(ZoneError, match=says):
        ZoneArea.from_geojson(area)


class Named:
    def __init__(self, name: str, area: ZoneArea):
        self.name, self.area = name, area


boxes = st.tuples(st.integers(0, 90), st.integers(0, 90), st.integers(1, 20), st.integers(1, 20)).map(
    lambda t: polygon(t[0] / 10, t[1] / 10, (t[0] + t[2]) / 10, (t[1] + t[3]) / 10)
)


@settings(max_examples=60, deadline=None)
@given(
    areas=st.lists(boxes, min_size=0, max_size=40),
    points=st.lists(st.tuples(st.integers(0, 110), st.integers(0, 110)), min_size=1, max_size=20),
)
def test_tree_and_scan_always_pick_the_same_zone(areas, points):
    zones = [Named(f"z{i}", ZoneArea.from_geojson(a)) for i, a in enumerate(areas)]
    tree, scan = ZoneLookup(zones, tree_threshold=1), ZoneLookup(zones, tree_threshold=10**9)
    for x, y in points:
        lat, lon = y / 10, x / 10
        expected = next((z for z in zones if z.area.contains(lat, lon)), None)
        assert tree.find(lat, lon) is expected
        assert scan.find(lat, lon) is expected
