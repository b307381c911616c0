"""The alerter's help summary: who counts as coming, how near and how soon, and when to stand down."""

from __future__ import annotations

import pytest

from alerting.domain import incident as m
from alerting.domain.alerter_help import help_summary, stand_down_reason
from alerting.domain.vocabulary import IncidentStatus
from tests.unit.domain.test_incident import T0, accept, cand, fire, make

WALK, ROUTE = 1.6, 1.3
M_PER_DEG_LAT = 111_195.08


def north(metres: float) -> tuple[float, float]:
    return 53.8 + metres / M_PER_DEG_LAT, -1.55


def summary(s, positions=None, speeds=None):
    return help_summary(
        s, positions=positions or {}, speeds_mps=speeds or {}, default_speed_mps=WALK, route_factor=ROUTE
    )


def test_before_anyone_accepts_the_alerter_hears_how_many_were_alerted_and_no_distance():
    s = make()
    assert summary(s).accepted == 0 and summary(s).alerted == 0
    fire(s, 0, T0, cand("amy", 120), cand("ben", 180))
    got = summary(s)
    assert (got.accepted, got.alerted, got.nearest_m, got.eta_s, got.on_scene) == (0, 2, None, None, 0)
    assert got.incident_id == "inc-1" and got.status == IncidentStatus.ALERTING


def test_an_accepted_responder_is_measured_from_their_latest_position_else_from_where_they_were_alerted():
    s = make()
    fire(s, 0, T0, cand("amy", 120), cand("ben", 180))
    accept(s, "amy", T0 + 5, 1)
    got = summary(s)
    assert (got.accepted, got.alerted, got.nearest_m, got.eta_s) == (1, 1, 120, 98)  # ceil(120 * 1.3 / 1.6)
    moved = summary(s, positions={"amy": north(40)})
    assert moved.nearest_m == 40 and moved.eta_s == 33  # ceil(40 * 1.3 / 1.6)
    # A position of someone who has not accepted says nothing about help coming.
    assert summary(s, positions={"amy": north(40), "ben": north(5)}).nearest_m == 40


def test_nearest_and_soonest_are_each_the_best_of_those_coming():
    s = make()
    fire(s, 0, T0, cand("walker", 150), cand("driver", 190))
    accept(s, "walker", T0 + 5, 1)
    accept(s, "driver", T0 + 6, 2)
    got = summary(s, positions={"walker": north(150), "driver": north(396)}, speeds={"driver": 8.0})
    assert got.accepted == 2 and got.nearest_m == 150
    assert got.eta_s == 65  # the car: ceil(396 * 1.3 / 8.0), sooner than the walker's 122 s


def test_a_responder_on_scene_is_there_now():
    s = make()
    fire(s, 0, T0, cand("amy", 120), cand("ben", 180))
    accept(s, "amy", T0 + 5, 1)
    accept(s, "ben", T0 + 6, 2)
    m.handle(s, m.Arrived("amy", T0 + 60))
    got = summary(s, positions={"ben": north(90)})
    assert (got.accepted, got.on_scene, got.nearest_m, got.eta_s) == (2, 1, 0, 0)


def test_a_withdrawn_responder_no_longer_counts():
    s = make()
    fire(s, 0, T0, cand("amy", 120), cand("ben", 180))
    accept(s, "amy", T0 + 5, 1)
    accept(s, "ben", T0 + 6, 2)
    assert summary(s).status == IncidentStatus.FILLED
    m.handle(s, m.Withdrawn("amy", T0 + 20))
    got = summary(s)
    assert (got.accepted, got.nearest_m, got.eta_s) == (1, 180, 147)


def test_the_nearest_aed_is_the_one_the_responders_were_given():
    aed = m.AedInfo("aed-1", "Library", "24/7", 53.8001, -1.55, 11.1)
    s = make(aed=aed)
    assert summary(s).aed == aed
    assert summary(make()).aed is None


def test_a_bad_speed_or_route_factor_falls_back_rather_than_failing():
    s = make()
    fire(s, 0, T0, cand("amy", 160))
    accept(s, "amy", T0 + 5, 1)
    got = help_summary(s, positions={}, speeds_mps={"amy": 0.0}, default_speed_mps=WALK, route_factor=0.5)
    assert got.eta_s == 100  # ceil(160 * 1.0 / 1.6)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (IncidentStatus.CANCELLED, "cancelled"),
        (IncidentStatus.CLOSED, "closed"),
        (IncidentStatus.ALERTING, None),
        (IncidentStatus.FILLED, None),
        (IncidentStatus.EXHAUSTED, None),
        (IncidentStatus.NOT_ALERTED, None),
    ],
)
def test_the_alerter_stands_down_only_when_the_incident_is_cancelled_or_closed(status, reason):
    assert stand_down_reason(status) == reason


def test_cancelled_and_closed_incidents_stand_the_alerter_down():
    s = make()
    fire(s, 0, T0, cand("amy", 120))
    m.handle(s, m.Cancelled("hoax", T0 + 9))
    assert stand_down_reason(summary(s).status) == "cancelled"
    assert summary(s).accepted == 0  # everyone was stood down with it
