"""The simulator's pure core: incidents land inside the area, and the summary counts per incident."""

from __future__ import annotations

import random

import pytest
from shapely.geometry import Point

from dispatch_adapter.simulator.scenario import (
    Outcome,
    area_shape,
    incident_payload,
    parse_ambulance_eta,
    parse_bbox,
    parse_flags,
    random_point,
    summarise,
)

L_SHAPE = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]]}


def test_points_fall_inside_a_concave_area():
    area, rng = area_shape(L_SHAPE), random.Random(7)
    points = [random_point(area, rng) for _ in range(500)]
    assert all(area.contains(Point(lon, lat)) for lat, lon in points)
    assert any(lat > 1 for lat, _ in points) and any(lon > 1 for _, lon in points)  # both arms are used


def test_bbox_parses_to_a_polygon_and_refuses_nonsense():
    area = area_shape(parse_bbox("53.79,-1.56,53.81,-1.53"))
    assert area.bounds == pytest.approx((-1.56, 53.79, -1.53, 53.81))
    for bad in ("1,2,3", "53.81,-1.56,53.79,-1.53", "a,b,c,d", "0,0,91,1"):
        with pytest.raises(ValueError):
            parse_bbox(bad)


def test_payload_is_a_valid_native_incident_and_repeatable_with_a_seed():
    area = area_shape(parse_bbox("53.79,-1.56,53.81,-1.53"))
    a = incident_payload(3, "run1", area, random.Random(1), callback_url="http://127.0.0.1:9/webhooks")
    b = incident_payload(3, "run1", area, random.Random(1), callback_url="http://127.0.0.1:9/webhooks")
    assert a == b and a["cad_ref"] == "SIM-run1-00003"
    assert a["category"].startswith("09-") and a["location_type"] in ("public", "private")
    assert a["callback_url"] == "http://127.0.0.1:9/webhooks"
    assert "callback_url" not in incident_payload(1, "r", area, random.Random(1), callback_url=None)


def test_summary_counts_incidents_and_takes_the_median_first_accept():
    outcomes = [
        Outcome("A", 100.0, 201, "a", 2),
        Outcome("B", 100.0, 201, "b", 1),
        Outcome("C", 100.0, 201, "c", 0),
        Outcome("D", 100.0, 429),
        Outcome("E", 100.0, 201, "e", 1),
    ]
    events = [
        {"event": "incident.alerting", "incident_id": "a", "at": "1970-01-01T00:01:40.000Z"},
        {"event": "responder.accepted", "incident_id": "a", "at": "1970-01-01T00:01:50.000Z"},  # 10 s
        {"event": "responder.accepted", "incident_id": "a", "at": "1970-01-01T00:01:45.000Z"},  # earlier: 5 s
        {"event": "incident.filled", "incident_id": "a", "at": "1970-01-01T00:01:50.000Z"},
        {"event": "responder.accepted", "incident_id": "b", "at": "1970-01-01T00:02:00.000Z"},  # 20 s
        {"event": "responder.accepted", "incident_id": "e", "at": "1970-01-01T00:02:10.000Z"},  # 30 s
        {"event": "incident.exhausted", "incident_id": "c", "at": "1970-01-01T00:12:00.000Z"},
        {"event": "responder.accepted", "incident_id": "someone-else", "at": "1970-01-01T00:01:41.000Z"},
    ]
    s = summarise(outcomes, events, attempts=9, bad_signatures=1, closed=1)
    assert (s.posted, s.created, s.failed) == (5, 4, {429: 1})
    assert (s.alerted, s.accepted, s.filled, s.exhausted, s.closed) == (3, 3, 1, 1, 1)
    assert s.median_first_accept_s == pytest.approx(20.0)
    assert (s.webhooks, s.webhook_attempts, s.bad_signatures) == (7, 9, 1)
    assert "median time to first accept: 20.0 s" in s.lines()


def test_summary_without_accepts_says_so():
    s = summarise([Outcome("A", 1.0, 201, "a", 0)], [], attempts=0, bad_signatures=0)
    assert s.median_first_accept_s is None and "median time to first accept: n/a" in s.lines()


def test_the_crew_eta_and_flags_ride_along_when_asked_and_leave_the_rest_unchanged():
    area = area_shape(L_SHAPE)
    plain = incident_payload(3, "run1", area, random.Random(1), callback_url=None)
    ruled = incident_payload(
        3,
        "run1",
        area,
        random.Random(1),
        callback_url=None,
        ambulance_eta=(120, 600),
        flags=(("unsafe_scene", 1.0), ("child", 0.0)),
    )
    assert {k: v for k, v in ruled.items() if k not in ("ambulance_eta_s", "flags")} == plain
    assert 120 <= ruled["ambulance_eta_s"] <= 600 and ruled["flags"] == ["unsafe_scene"]
    assert parse_ambulance_eta("300") == (300, 300) and parse_ambulance_eta("120,600") == (120, 600)
    assert parse_flags("unsafe_scene=0.1,child") == (("unsafe_scene", 0.1), ("child", 1.0))
    for bad in ("haunted=0.5", "child=2"):
        with pytest.raises(ValueError):
            parse_flags(bad)
    with pytest.raises(ValueError):
        parse_ambulance_eta("600,120")
