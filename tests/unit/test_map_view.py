"""The live map's view of an incident: who is shown, and the rings."""

from __future__ import annotations

from alerting.domain import incident as m
from alerting.domain.policy import Phase, Policy
from alerting.services.map_view import incident_view

PHASES = (Phase("trusted", ("staff",), 200, 0), Phase("community", ("staff", "community"), 1000, 30))


def state(status: str = m.ALERTING, **alert_states: str) -> m.IncidentState:
    s = m.IncidentState(
        id="i1",
        cad_ref="C1",
        lat=53.8,
        lon=-1.55,
        category="09-E-01",
        location_type="public",
        created_at=1_700_000_000,
        policy=Policy(phases=PHASES),
        status=status,
        phases=PHASES,
        phases_fired=1,
        aed=m.AedInfo("a1", "Library", "24/7", 53.801, -1.55, 111.2),
    )
    for i, (rid, st) in enumerate(alert_states.items()):
        s.alerts[rid] = m.AlertRecord(
            alert_id=f"al{i}",
            responder_id=rid,
            phase=0,
            distance_m=100.0 + i,
            alerted_at=0,
            expires_at=600,
            state=st,
            role="scene" if st in (m.ACCEPTED, m.ARRIVED) else None,
        )
    return s


def test_only_responders_with_a_live_alert_are_shown_with_their_positions():
    s = state(a=m.ALERTED, b=m.ACCEPTED, c=m.ARRIVED, d=m.DECLINED, e=m.STOOD_DOWN, f=m.EXPIRED)
    positions = {rid: (53.8 + i, -1.55) for i, rid in enumerate("abcdef")}
    view = incident_view(s, address="1 Park Row", positions=positions, names={"a": "Ann"})
    assert [(r["id"], r["name"], r["state"], r["lat"]) for r in view["responders"]] == [
        ("a", "Ann", "alerted", 53.8),
        ("b", "b", "accepted", 54.8),
        ("c", "c", "arrived", 55.8),
    ]
    assert view["open"] and view["address"] == "1 Park Row" and view["aed"]["name"] == "Library"


def test_a_responder_without_a_known_position_is_listed_without_one():
    view = incident_view(state(a=m.ALERTED), address=None, positions={}, names={})
    assert view["responders"][0]["lat"] is None and view["responders"][0]["lon"] is None


def test_rings_are_one_per_phase_marked_fired_in_order():
    view = incident_view(state(), address=None, positions={}, names={})
    assert view["rings"] == [
        {"phase": "trusted", "radius_m": 200, "delay_s": 0, "fired": True},
        {"phase": "community", "radius_m": 1000, "delay_s": 30, "fired": False},
    ]
    assert view["phase"] == "trusted"


def test_an_ended_incident_shows_nobody():
    for status in (m.CANCELLED, m.CLOSED, m.EXHAUSTED):
        view = incident_view(state(status, a=m.ACCEPTED), address=None, positions={"a": (53.8, -1.55)}, names={})
        assert not view["open"] and view["responders"] == [] and view["aed"] is None
