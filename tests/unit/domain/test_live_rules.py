"""The live-response rules of the incident machine: not alerted, excluded flags, replacement on
decline or silence, and the ambulance comparison. Events in, decisions out."""

from __future__ import annotations

from alerting.domain import incident as m
from alerting.domain.eligibility import Candidate
from alerting.domain.policy import build_policy

GROUPS = {"staff", "community"}
PRIVATE_OK = {"staff": True, "community": False}
T0 = 1_000_000.0


def policy(**over):
    doc = {
        "phases": [
            {"name": "near", "groups": ["staff"], "radius_m": 500, "delay_s": 0},
            {"name": "wide", "groups": ["staff"], "radius_m": 2000, "delay_s": 60},
        ],
        "accept_limit": 1,
        "alert_ttl_s": 600,
        "categories": ["09-E-*"],
    }
    return {**doc, **over}


def make(doc=None, *, category="09-E-01", flags=(), ambulance_eta_s=None):
    built, _ = build_policy(doc or policy(), known_groups=GROUPS)
    s = m.new_incident(
        id="inc-1",
        cad_ref="CAD-1",
        lat=53.8,
        lon=-1.55,
        category=category,
        location_type="public",
        created_at=T0,
        policy=built,
        policy_version=1,
        flags=flags,
        ambulance_eta_s=ambulance_eta_s,
    )
    return s, m.handle(s, m.Reported(T0))


def cand(rid, distance, **kw):
    return Candidate(rid, distance, ("staff",), **kw)


def of(decisions, kind):
    return [d for d in decisions if isinstance(d, kind)]


def alerted(decisions):
    return [d.alert.responder_id for d in of(decisions, m.SendAlert)]


def fire(s, index, now, *candidates):
    return m.handle(s, m.PhaseDue(index, now, candidates, PRIVATE_OK))


# ---- not alerted ----------------------------------------------------------------------------


def test_an_unlisted_category_is_not_alerted_with_a_reason_and_never_wakes():
    s, out = make(category="26-A-01")
    assert s.status == m.NOT_ALERTED and s.reason_code == "category_not_listed" and "26-A-01" in (s.reason or "")
    assert m.NotifyCad("incident.not_alerted") in out
    assert s.due_phases(T0 + 1000) == [] and s.wake_at() is None


def test_recategorising_a_not_alerted_incident_into_the_policy_starts_it():
    s, _ = make(category="26-A-01")
    out = m.handle(s, m.Recategorised("09-E-01", T0 + 10))
    assert s.status == m.ALERTING and s.reason is None and s.started_at == T0 + 10
    assert m.Record("alerting_started", {"category": "09-E-01"}) in out and s.due_phases(T0 + 10) == [0]


def test_no_policy_is_not_alerted():
    s2 = m.new_incident(
        id="i",
        cad_ref="c",
        lat=0,
        lon=0,
        category="x",
        location_type="public",
        created_at=T0,
        policy=m.Policy(phases=()),
        policy_version=None,
    )
    m.handle(s2, m.Reported(T0))
    assert s2.status == m.NOT_ALERTED and s2.reason_code == "no_policy"


# ---- excluded flags -------------------------------------------------------------------------


def test_an_excluded_flag_alerts_no_one():
    s, out = make(policy(exclude_flags=["unsafe_scene"]), flags=("unsafe_scene", "child"))
    assert s.status == m.NOT_ALERTED and s.reason_code == "excluded_flag" and "unsafe scene" in (s.reason or "")
    assert s.due_phases(T0) == [] and fire(s, 0, T0, cand("a", 10)) == []
    assert not s.alerts


def test_a_flag_the_policy_does_not_exclude_changes_nothing():
    s, _ = make(policy(exclude_flags=["unsafe_scene"]), flags=("child",))
    assert s.status == m.ALERTING and alerted(fire(s, 0, T0, cand("a", 10))) == ["a"]


def test_an_excluded_flag_arriving_later_stands_everyone_down():
    s, _ = make(policy(exclude_flags=["police_required"], accept_limit=2))
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    m.handle(s, m.Accepted("a", T0 + 5, 1))
    out = m.handle(s, m.FlagsChanged(("police_required",), T0 + 6))
    assert {(d.responder_id, d.reason) for d in of(out, m.SendStandDown)} == {("a", "excluded"), ("b", "excluded")}
    assert s.status == m.NOT_ALERTED and m.NotifyCad("incident.not_alerted") in out
    assert s.wake_at() is None


def test_lifting_the_excluded_flag_starts_alerting():
    s, _ = make(policy(exclude_flags=["trauma"]), flags=("trauma",))
    out = m.handle(s, m.FlagsChanged((), T0 + 30))
    assert s.status == m.ALERTING and s.started_at == T0 + 30
    assert m.Record("flags_changed", {"flags": []}) in out and s.due_phases(T0 + 30) == [0]


def test_the_same_flags_again_change_nothing():
    s, _ = make(flags=("child",))
    assert m.handle(s, m.FlagsChanged(("child",), T0 + 1)) == []


# ---- replace on decline or silence ----------------------------------------------------------


def test_a_decline_is_replaced_by_the_next_nearest_within_the_phase():
    s, _ = make(policy(replace_declined=True, answer_s=45))
    fire(
        s,
        0,
        T0,
        cand(
            "a",
            10,
        ),
        cand("far", 900),
    )  # far is beyond phase 0's 500 m
    assert list(s.alerts) == ["a"]
    m.handle(s, m.Declined("a", T0 + 5))
    assert s.status == m.ALERTING  # not exhausted: a replacement is still to be sought
    assert [a.responder_id for a in s.to_replace(T0 + 5)] == ["a"]
    out = m.handle(
        s, m.ReplacementDue(T0 + 5, [cand("a", 10), cand("b", 300), cand("c", 400), cand("far", 900)], PRIVATE_OK)
    )
    assert alerted(out) == ["b"] and s.alerts["b"].phase == 0
    assert (
        m.Record("replacement_alerted", {"responder": "b", "replaces": "a", "reason": "declined", "phase": "near"})
        in out
    )
    assert s.to_replace(T0 + 5) == [] and s.alerts["a"].replaced


def test_silence_for_answer_s_is_replaced_and_the_silent_alert_stays_open():
    s, _ = make(policy(replace_declined=True, answer_s=45))
    fire(s, 0, T0, cand("a", 10))
    assert s.wake_at() == T0 + 45
    assert s.to_replace(T0 + 44) == []
    out = m.handle(s, m.ReplacementDue(T0 + 45, [cand("b", 100)], PRIVATE_OK))
    assert alerted(out) == ["b"] and s.alerts["a"].state == m.ALERTED
    assert of(out, m.Record)[-1].data["reason"] == "no_answer"


def test_no_one_left_to_replace_with_is_recorded_once_and_then_exhausts():
    s, _ = make(policy(replace_declined=True, phases=[{"name": "only", "groups": ["staff"], "radius_m": 500}]))
    fire(s, 0, T0, cand("a", 10))
    m.handle(s, m.Declined("a", T0 + 5))
    out = m.handle(s, m.ReplacementDue(T0 + 5, [], PRIVATE_OK))
    assert m.Record("no_replacement", {"replaces": "a", "reason": "declined"}) in out
    assert s.status == m.EXHAUSTED and m.handle(s, m.ReplacementDue(T0 + 6, [cand("b", 1)], PRIVATE_OK)) == []


def test_without_the_option_a_decline_is_not_replaced():
    s, _ = make()
    fire(s, 0, T0, cand("a", 10))
    m.handle(s, m.Declined("a", T0 + 5))
    assert s.to_replace(T0 + 5) == [] and m.handle(s, m.ReplacementDue(T0 + 5, [cand("b", 1)], PRIVATE_OK)) == []


def test_a_filled_incident_seeks_no_replacement():
    s, _ = make(policy(replace_declined=True, accept_limit=1))
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    m.handle(s, m.Declined("a", T0 + 1))
    m.handle(s, m.Accepted("b", T0 + 2, 1))
    assert s.status == m.FILLED and s.to_replace(T0 + 100) == []


# ---- the ambulance --------------------------------------------------------------------------


def test_a_responder_slower_than_the_ambulance_is_skipped_and_a_faster_one_alerted():
    s, _ = make(policy(only_if_faster_than_ambulance=True, ambulance_margin_s=30), ambulance_eta_s=300)
    out = fire(s, 0, T0, cand("slow", 50, eta_s=280), cand("fast", 100, eta_s=120))
    assert alerted(out) == ["fast"] and s.alerts["fast"].ahead_of_ambulance_s == 180
    skipped = [d.data for d in of(out, m.Record) if d.event == "responder_skipped"]
    assert skipped == [
        {"responder": "slow", "reason": "slower_than_ambulance", "phase": "near", "eta_s": 280, "ambulance_eta_s": 300}
    ]


def test_the_crew_gets_closer_while_phases_wait():
    s, _ = make(policy(only_if_faster_than_ambulance=True), ambulance_eta_s=300)
    fire(s, 0, T0)
    out = fire(s, 1, T0 + 60, cand("x", 800, eta_s=250))  # 240 s left for the crew: not better
    assert alerted(out) == []


def test_without_the_option_the_lead_is_still_told():
    s, _ = make(ambulance_eta_s=300)
    fire(s, 0, T0, cand("slow", 50, eta_s=400))
    assert s.alerts["slow"].ahead_of_ambulance_s == -100


def test_a_new_ambulance_eta_is_used_by_later_phases():
    s, _ = make(policy(only_if_faster_than_ambulance=True))
    assert m.handle(s, m.AmbulanceEtaChanged(100, T0 + 1)) == [m.Record("ambulance_eta", {"ambulance_eta_s": 100})]
    assert alerted(fire(s, 0, T0 + 1, cand("a", 50, eta_s=150))) == []
