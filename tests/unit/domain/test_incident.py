"""The incident state machine, corner by corner: events in, decisions out, no I/O."""

from __future__ import annotations

import pytest

from alerting.domain import incident as m
from alerting.domain.eligibility import Candidate
from alerting.domain.policy import build_policy
from alerting.domain.vocabulary import SceneStatus

GROUPS = {"staff", "community"}
TWO_PHASES = {
    "phases": [
        {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "everyone", "groups": ["staff", "community"], "radius_m": 1000, "delay_s": 30},
    ],
    "accept_limit": 2,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
}
PRIVATE_OK = {"staff": True, "community": False}
T0 = 1_000_000.0


def make(policy=TWO_PHASES, *, category="09-E-01", location_type="public", aed=None) -> m.IncidentState:
    built, _ = build_policy(policy, known_groups=GROUPS)
    s = m.new_incident(
        id="inc-1",
        cad_ref="CAD-1",
        lat=53.8,
        lon=-1.55,
        category=category,
        location_type=location_type,
        created_at=T0,
        policy=built,
        policy_version=1,
        aed=aed,
    )
    m.handle(s, m.Reported(T0))
    return s


def cand(rid: str, distance: float, *groups: str, **kw) -> Candidate:
    return Candidate(rid, distance, groups or ("staff",), **kw)


def fire(s: m.IncidentState, index: int, now: float, *candidates: Candidate) -> list[m.Decision]:
    return m.handle(s, m.PhaseDue(index, now, candidates, PRIVATE_OK))


def of(decisions, kind):
    return [d for d in decisions if isinstance(d, kind)]


def alerted(decisions) -> list[str]:
    return [d.alert.responder_id for d in of(decisions, m.SendAlert)]


def accept(s, rid, now, slot):
    return m.handle(s, m.Accepted(rid, now, slot))


# ---- phases ---------------------------------------------------------------------------------


def test_phase_zero_alerts_nearest_eligible_within_radius_only():
    s = make()
    out = fire(
        s,
        0,
        T0,
        cand("far", 250),
        cand("b", 100),
        cand("a", 100),
        cand("c", 50, "community"),
        cand("off", 10, active=False),
    )
    assert alerted(out) == ["a", "b"]  # nearest first, ties by id; community not in phase 0
    assert of(out, m.NotifyCad) == [m.NotifyCad("incident.alerting")]
    assert s.phases_fired == 1 and s.status == m.ALERTING


def test_later_phase_alerts_only_those_not_yet_alerted():
    s = make()
    fire(s, 0, T0, cand("a", 100))
    assert fire(s, 1, T0 + 29, cand("a", 100), cand("c", 500, "community")) == []  # not yet due
    out = fire(s, 1, T0 + 30, cand("a", 100), cand("c", 500, "community"))
    assert alerted(out) == ["c"]


def test_phase_due_twice_or_out_of_order_is_a_no_op():
    s = make()
    assert fire(s, 1, T0 + 60, cand("a", 100)) == []  # phase 0 has not fired
    fire(s, 0, T0, cand("a", 100))
    assert fire(s, 0, T0 + 1, cand("b", 100)) == []


def test_max_alerts_caps_a_phase_nearest_first():
    policy = {
        **TWO_PHASES,
        "phases": [{"name": "p", "groups": ["staff"], "radius_m": 500, "delay_s": 0, "max_alerts": 2}],
    }
    s = make(policy)
    assert alerted(fire(s, 0, T0, cand("c", 30), cand("a", 10), cand("b", 20))) == ["a", "b"]


def test_category_not_in_policy_alerts_nobody_and_says_why():
    s = make(category="26-A-01")
    assert s.started_at is None and s.due_phases(T0 + 100) == []
    assert fire(s, 0, T0, cand("a", 10)) == []


def test_public_only_groups_are_never_sent_to_private_or_unknown_locations():
    for location_type in ("private", "unknown"):
        s = make(location_type=location_type)
        fire(s, 0, T0, cand("a", 10))
        out = fire(s, 1, T0 + 30, cand("c", 20, "community"), cand("d", 30, "staff", "community"))
        assert alerted(out) == ["d"]


def test_busy_quiet_and_fatigued_responders_are_skipped_with_a_reason():
    policy = {**TWO_PHASES, "max_alerts_per_hour": 3}
    s = make(policy)
    out = fire(
        s,
        0,
        T0,
        cand("busy", 10, busy=True),
        cand("quiet", 20, quiet=True),
        cand("tired", 30, alerts_last_hour=3),
        cand("ok", 40, alerts_last_hour=2),
    )
    assert alerted(out) == ["ok"]
    skipped = {d.data["responder"]: d.data["reason"] for d in of(out, m.Record) if d.event == "responder_skipped"}
    assert skipped == {"busy": "busy", "quiet": "quiet_hours", "tired": "fatigue_limit"}


def test_alert_ids_are_deterministic_per_incident_and_responder():
    assert m.alert_id_for("inc-1", "a") == m.alert_id_for("inc-1", "a") != m.alert_id_for("inc-2", "a")


# ---- accepts --------------------------------------------------------------------------------


def test_accepts_fill_the_incident_and_stand_the_rest_down():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20), cand("c", 30))
    out = accept(s, "a", T0 + 5, 1)
    assert of(out, m.SendAssigned) == [m.SendAssigned("a", s.alerts["a"].alert_id, "scene")]
    out = accept(s, "b", T0 + 6, 2)
    assert s.status == m.FILLED
    assert [(d.responder_id, d.reason) for d in of(out, m.SendStandDown)] == [("c", "filled")]
    assert m.NotifyCad("incident.filled") in out


def test_accept_after_filled_is_stood_down_filled():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20), cand("c", 30))
    accept(s, "a", T0 + 5, 1)
    accept(s, "b", T0 + 6, 2)
    assert m.accept_precheck(s, "c") == [m.SendStandDown("c", s.alerts["c"].alert_id, "filled")]
    out = accept(s, "c", T0 + 7, 0)
    assert [d.reason for d in of(out, m.SendStandDown)] == ["filled"] and s.alerts["c"].state == m.STOOD_DOWN


def test_accept_after_cancel_is_stood_down_cancelled():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    out = m.handle(s, m.Cancelled("hoax", T0 + 3))
    assert [d.reason for d in of(out, m.SendStandDown)] == ["cancelled"]
    assert m.accept_precheck(s, "a") == [m.SendStandDown("a", s.alerts["a"].alert_id, "cancelled")]
    assert [d.reason for d in of(accept(s, "a", T0 + 4, -1), m.SendStandDown)] == ["cancelled"]


def test_decline_then_accept_is_allowed_while_slots_remain():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    m.handle(s, m.Declined("a", T0 + 2))
    assert s.alerts["a"].state == m.DECLINED
    assert m.accept_precheck(s, "a") is None
    out = accept(s, "a", T0 + 4, 1)
    assert of(out, m.SendAssigned) and s.alerts["a"].state == m.ACCEPTED


def test_accept_by_someone_never_alerted_is_rejected():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    assert of(m.accept_precheck(s, "stranger"), m.Reject)[0].code == "not_alerted"


def test_accept_twice_answers_assigned_again_without_a_second_slot():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    accept(s, "a", T0 + 1, 1)
    again = m.accept_precheck(s, "a")
    assert again == [m.SendAssigned("a", s.alerts["a"].alert_id, "scene")]


def test_arrive_without_accept_is_rejected_and_after_accept_is_reported():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    assert of(m.handle(s, m.Arrived("a", T0 + 1)), m.Reject)[0].code == "not_accepted"
    accept(s, "a", T0 + 2, 1)
    out = m.handle(s, m.Arrived("a", T0 + 60))
    assert m.NotifyCad("responder.arrived", "a") in out and s.alerts["a"].state == m.ARRIVED


def test_phase_due_after_filled_is_a_no_op():
    s = make({**TWO_PHASES, "accept_limit": 1})
    fire(s, 0, T0, cand("a", 10))
    accept(s, "a", T0 + 1, 1)
    assert fire(s, 1, T0 + 30, cand("c", 500, "community")) == []


def test_second_accepter_nearer_the_aed_fetches_it():
    aed = m.AedInfo("aed-1", "Station", "24/7", 53.801, -1.55, distance_m=150.0)
    s = make(aed=aed)
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    assert of(m.handle(s, m.Accepted("a", T0 + 1, 1, distance_to_aed_m=30.0)), m.SendAssigned)[0].role == "scene"
    assert of(m.handle(s, m.Accepted("b", T0 + 2, 2, distance_to_aed_m=40.0)), m.SendAssigned)[0].role == "aed"


def test_second_accepter_further_from_the_aed_than_the_scene_goes_to_the_scene():
    aed = m.AedInfo("aed-1", "Station", "24/7", 53.801, -1.55, distance_m=150.0)
    s = make(aed=aed)
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    m.handle(s, m.Accepted("a", T0 + 1, 1, distance_to_aed_m=30.0))
    assert of(m.handle(s, m.Accepted("b", T0 + 2, 2, distance_to_aed_m=400.0)), m.SendAssigned)[0].role == "scene"


# ---- time, moves, endings ------------------------------------------------------------------


def test_all_phases_fired_and_ttl_passed_is_exhausted():
    s = make({**TWO_PHASES, "alert_ttl_s": 60})
    fire(s, 0, T0, cand("a", 10))
    fire(s, 1, T0 + 30)
    assert s.status == m.ALERTING and s.wake_at() == T0 + 60
    out = m.handle(s, m.AlertExpired(T0 + 60))
    assert [d.reason for d in of(out, m.SendStandDown)] == ["expired"]
    assert s.status == m.EXHAUSTED and m.NotifyCad("incident.exhausted") in out


def test_everyone_declining_after_the_last_phase_is_exhausted():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    fire(s, 1, T0 + 30, cand("c", 300, "community"))
    m.handle(s, m.Declined("a", T0 + 31))
    out = m.handle(s, m.Declined("c", T0 + 32))
    assert s.status == m.EXHAUSTED and m.NotifyCad("incident.exhausted") in out


def test_a_move_during_phase_one_resends_to_those_still_alerted_and_does_not_rerun_phases():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    fire(s, 1, T0 + 30, cand("c", 400, "community"))
    m.handle(s, m.Declined("b", T0 + 31))
    out = m.handle(s, m.Moved(53.81, -1.55, T0 + 40, {"a": 120.0, "b": 90.0, "c": 300.0}))
    resent = {d.alert.responder_id: d.alert.distance_m for d in of(out, m.SendAlert)}
    assert resent == {"a": 120.0, "c": 300.0}
    assert all(d.resend for d in of(out, m.SendAlert)) and s.phases_fired == 2
    assert (s.lat, s.lon) == (53.81, -1.55)


def test_moving_an_ended_incident_is_rejected():
    s = make()
    m.handle(s, m.Closed(T0 + 5))
    assert of(m.handle(s, m.Moved(53.81, -1.55, T0 + 6, {})), m.Reject)[0].code == "incident_ended"


def test_recategorising_into_the_policy_starts_alerting():
    s = make(category="26-A-01")
    out = m.handle(s, m.Recategorised("09-E-01", T0 + 10))
    assert s.started_at == T0 + 10 and s.due_phases(T0 + 10) == [0]
    assert m.Record("alerting_started", {"category": "09-E-01"}) in out


@pytest.mark.parametrize("end", [m.Cancelled("done", T0 + 9), m.Closed(T0 + 9)])
def test_ending_twice_changes_nothing(end):
    s = make()
    fire(s, 0, T0, cand("a", 10))
    assert m.handle(s, end)
    assert m.handle(s, end) == []


def test_delivery_is_recorded_once():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    assert m.handle(s, m.Delivered("a", T0 + 1)) == [m.Record("alert.delivered", {"responder": "a"})]
    assert m.handle(s, m.Delivered("a", T0 + 2)) == [] and s.alerts["a"].delivered_at == T0 + 1


@pytest.mark.parametrize(
    ("end", "reason"), [(m.Cancelled("hoax", T0 + 90), "cancelled"), (m.Closed(T0 + 90), "closed")]
)
def test_ending_stands_down_responders_already_on_scene(end, reason):
    s = make({**TWO_PHASES, "accept_limit": 2})
    fire(s, 0, T0, cand("a", 10), cand("b", 20), cand("c", 30))
    accept(s, "a", T0 + 1, 1)
    accept(s, "b", T0 + 2, 2)
    m.handle(s, m.Arrived("a", T0 + 60))
    out = m.handle(s, end)
    assert sorted((d.responder_id, d.reason) for d in of(out, m.SendStandDown)) == [("a", reason), ("b", reason)]
    assert s.alerts["a"].state == m.STOOD_DOWN and s.alerts["a"].arrived_at == T0 + 60


def test_a_withdrawn_responder_is_stood_down_and_cannot_accept_again():
    """Suspension or erasure: the alert ends at once; a later accept (a socket message already in
    flight) is answered with a stand-down and takes no slot."""
    s = make()
    fire(s, 0, T0, cand("r1", 50), cand("r2", 80))
    out = m.handle(s, m.Withdrawn("r1", T0 + 5))
    assert m.SendStandDown("r1", s.alerts["r1"].alert_id, m.WITHDRAWN) in out
    assert s.alerts["r1"].state == m.STOOD_DOWN
    assert m.accept_precheck(s, "r1") == [m.SendStandDown("r1", s.alerts["r1"].alert_id, m.WITHDRAWN)]
    assert m.handle(s, m.Withdrawn("r1", T0 + 6)) == []  # twice is harmless
    assert of(accept(s, "r2", T0 + 7, 1), m.SendAssigned)  # the others carry on


def test_nobody_fetches_the_aed_who_brings_one_or_when_an_assigned_responder_brings_one():
    aed = m.AedInfo("aed-1", "Station", "24/7", 53.801, -1.55, distance_m=150.0)
    s = make({**TWO_PHASES, "accept_limit": 3}, aed=aed)
    fire(s, 0, T0, cand("a", 10), cand("b", 20), cand("c", 30))
    m.handle(s, m.Accepted("a", T0 + 1, 1, distance_to_aed_m=30.0))
    own = m.handle(s, m.Accepted("b", T0 + 2, 2, distance_to_aed_m=40.0, carries_aed=True))
    assert of(own, m.SendAssigned)[0].role == "scene"
    later = m.handle(s, m.Accepted("c", T0 + 3, 3, distance_to_aed_m=40.0, aed_coming=True))
    assert of(later, m.SendAssigned)[0].role == "scene"


# ---- decisions the fast paths take without a full load ---------------------------------------


def test_an_accept_lost_to_a_full_incident_is_answered_and_recorded_and_changes_no_alert():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    out = m.accept_lost(s, "b", not_open=False)
    assert out == [
        m.SendStandDown("b", s.alerts["b"].alert_id, "filled"),
        m.Record("accept_refused", {"responder": "b", "reason": "filled"}),
    ]
    assert s.alerts["b"].state == m.ALERTED  # the accept that filled it stands it down, not the loser
    assert accept(s, "b", T0 + 5, 0) == out  # the machine answers a lost slot the same way


@pytest.mark.parametrize("end", [m.Cancelled("hoax", T0 + 3), m.Closed(T0 + 3)])
def test_an_accept_refused_because_the_incident_ended_names_the_end(end):
    s = make()
    fire(s, 0, T0, cand("a", 10))
    m.handle(s, end)
    reason = s.status
    assert [d.reason for d in of(m.accept_lost(s, "a", not_open=True), m.SendStandDown)] == [reason]
    # "not open" while the incident is still alerting in SQL (Redis closed first): it was filled
    t = make()
    fire(t, 0, T0, cand("a", 10))
    assert [d.reason for d in of(m.accept_lost(t, "a", not_open=True), m.SendStandDown)] == ["filled"]


def test_a_won_slot_on_an_incident_that_ended_meanwhile_is_stood_down():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    m.handle(s, m.Cancelled("hoax", T0 + 3))
    s.status = m.CANCELLED
    s.alerts["a"].state = m.ALERTED  # as the fast path saw it before the cancel landed
    out = accept(s, "a", T0 + 4, 1)
    assert [d.reason for d in of(out, m.SendStandDown)] == ["cancelled"] and s.alerts["a"].state == m.STOOD_DOWN


def test_only_the_first_ack_is_recorded():
    assert m.acknowledged("a", first=True) == [m.Record("alert.delivered", {"responder": "a"})]
    assert m.acknowledged("a", first=False) == []


def test_every_event_has_a_handler():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    events = [
        m.Reported(T0),
        m.PhaseDue(1, T0 + 30, (), PRIVATE_OK),
        m.Accepted("a", T0 + 31, 1),
        m.Declined("a", T0 + 32),
        m.Arrived("a", T0 + 33),
        m.StatusReported("a", SceneStatus.CPR_STARTED, T0 + 33),
        m.EtaReported("a", 60, 80.0, T0 + 33),
        m.Delivered("a", T0 + 34),
        m.Moved(53.8, -1.55, T0 + 35, {"a": 5.0}),
        m.Recategorised("09-E-02", T0 + 36),
        m.FlagsChanged(("child",), T0 + 36),
        m.AmbulanceEtaChanged(300, T0 + 36),
        m.ReplacementDue(T0 + 36, (), PRIVATE_OK),
        m.AlertExpired(T0 + 37),
        m.Closed(T0 + 38),
        m.Withdrawn("a", T0 + 39),
        m.AlertedByHand("b", "B", cand("b", 50), True, T0 + 39, T0 + 39, PRIVATE_OK, "Dana"),
        m.Escalated(T0 + 39, (), PRIVATE_OK, "Dana"),
        m.ControlMessage("hello", T0 + 39, "Dana"),
        m.ResponderMessage("a", "hello", T0 + 39),
        m.AlerterMessage("hello", T0 + 39),
        m.Confirmed(T0 + 39, "Dana"),
        m.Adopted("CAD-2", T0 + 39, "the CAD"),
        m.Cancelled("late", T0 + 40),
    ]
    assert {type(e) for e in events} == set(m.Event.__args__)
    for e in events:
        assert isinstance(m.handle(s, e), list)
