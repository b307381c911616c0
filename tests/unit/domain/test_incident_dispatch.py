"""A dispatcher's actions on the incident machine: manual alerts, escalation, messages."""

from __future__ import annotations

import pytest

from alerting.domain import incident as m
from alerting.domain.vocabulary import ErrorCode, TimelineEvent
from tests.unit.domain.test_incident import PRIVATE_OK, T0, accept, alerted, cand, fire, make, of


def by_hand(s, c, now, *, rid=None, available=True, seen=0.0, name="Sam"):
    rid = rid or (c.responder_id if c else "ghost")
    return m.handle(
        s, m.AlertedByHand(rid, name, c, available, None if seen is None else now - seen, now, PRIVATE_OK, "Dana")
    )


def refusal(decisions) -> ErrorCode:
    assert [type(d) for d in decisions] == [m.Reject], decisions
    return decisions[0].code


def test_a_hand_alert_goes_out_without_a_radius_and_names_who_sent_it():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    out = by_hand(s, cand("far", 5000, "community"), T0 + 5)
    assert alerted(out) == ["far"]
    assert s.alerts["far"].state == m.ALERTED and s.alerts["far"].distance_m == 5000
    assert [d.data for d in of(out, m.Record)] == [{"responder": "far", "by": "Dana", "distance_m": 5000}]
    assert of(out, m.NotifyCad) == []  # the CAD heard incident.alerting with the first alert


@pytest.mark.parametrize(
    ("candidate", "kw", "code"),
    [
        (None, {}, ErrorCode.NOT_IN_TRUST),
        (cand("x", 50, active=False), {}, ErrorCode.SUSPENDED),
        (cand("x", 50, busy=True), {}, ErrorCode.BUSY),
        (cand("x", 50), {"available": False}, ErrorCode.OFF_DUTY),
        (cand("x", 50, busy=True), {"available": False}, ErrorCode.OFF_DUTY),
        (cand("x", 50), {"seen": None}, ErrorCode.NO_POSITION),
        (cand("x", 50), {"seen": 901}, ErrorCode.NO_POSITION),
        (cand("x", 50, credentials_ok=False), {}, ErrorCode.CREDENTIAL_EXPIRED),
        (cand("x", 50, quiet=True), {}, ErrorCode.QUIET_HOURS),
        (cand("x", 50, "elsewhere"), {}, ErrorCode.NOT_IN_POLICY_GROUPS),
        (cand("a", 10), {}, ErrorCode.ALREADY_ALERTED),
    ],
)
def test_a_hand_alert_is_refused_for_the_reason_a_dispatcher_can_act_on(candidate, kw, code):
    s = make()
    fire(s, 0, T0, cand("a", 10))
    before = dict(s.alerts)
    assert refusal(by_hand(s, candidate, T0 + 5, **kw)) == code
    assert s.alerts == before


def test_public_place_only_groups_are_not_sent_into_a_home_by_hand_either():
    s = make(location_type="private")
    out = by_hand(s, cand("c", 50, "community"), T0 + 5)
    assert refusal(out) == ErrorCode.PUBLIC_PLACES_ONLY
    assert "public places" in out[0].detail


def test_a_filled_or_ended_incident_takes_no_hand_alert():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    accept(s, "a", T0 + 1, 1)
    accept(s, "b", T0 + 2, 2)
    assert s.status == m.FILLED
    out = by_hand(s, cand("c", 30), T0 + 3)
    assert refusal(out) == ErrorCode.INCIDENT_FILLED and "2 of 2" in out[0].detail
    m.handle(s, m.Cancelled("stop", T0 + 4))
    assert refusal(by_hand(s, cand("c", 30), T0 + 5)) == ErrorCode.INCIDENT_ENDED


def test_an_exhausted_incident_alerts_again_for_a_hand_alert_and_a_decline_may_be_asked_again():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    fire(s, 1, T0 + 30)
    m.handle(s, m.Declined("a", T0 + 31))
    assert s.status == m.EXHAUSTED
    out = by_hand(s, cand("a", 10), T0 + 40)
    assert s.status == m.ALERTING and s.alerts["a"].state == m.ALERTED
    assert [d.event for d in of(out, m.Record)] == [TimelineEvent.ALERTING_RESUMED, TimelineEvent.ALERTED_BY_HAND]


def test_escalation_fires_the_next_phase_once_and_its_timer_then_finds_it_fired():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    out = m.handle(s, m.Escalated(T0 + 5, (cand("c", 500, "community"),), PRIVATE_OK, "Dana", phase="everyone"))
    assert alerted(out) == ["c"] and s.phases_fired == 2
    assert of(out, m.Record)[0].data == {"phase": "everyone", "by": "Dana"}
    assert fire(s, 1, T0 + 30, cand("d", 600, "community")) == []  # the timer: already fired
    again = m.handle(s, m.Escalated(T0 + 6, (), PRIVATE_OK, "Dana", phase="everyone"))
    assert refusal(again) == ErrorCode.NO_NEXT_PHASE


def test_escalation_naming_a_phase_that_is_not_next_is_refused():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    out = m.handle(s, m.Escalated(T0 + 5, (), PRIVATE_OK, "Dana", phase="trusted"))
    assert refusal(out) == ErrorCode.NOT_NEXT_PHASE and "'everyone'" in out[0].detail
    assert s.phases_fired == 1


def test_a_control_message_reaches_everyone_alerted_or_assigned_only():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20), cand("c", 30))
    accept(s, "a", T0 + 1, 1)
    m.handle(s, m.Declined("c", T0 + 2))
    out = m.handle(s, m.ControlMessage("Use the side door", T0 + 3, "Dana"))
    assert [(d.responder_id, d.text) for d in of(out, m.SendMessage)] == [
        ("a", "Use the side door"),
        ("b", "Use the side door"),
    ]
    assert of(out, m.Record)[0].data == {"from": "control", "by": "Dana", "text": "Use the side door", "to": ["a", "b"]}


def test_a_message_to_nobody_is_refused():
    s = make()
    fire(s, 0, T0)
    assert refusal(m.handle(s, m.ControlMessage("anyone?", T0 + 1, "Dana"))) == ErrorCode.NO_RECIPIENTS


def test_a_responder_message_goes_to_the_cad_while_their_alert_is_live():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20))
    out = m.handle(s, m.ResponderMessage("a", "Two minutes away", T0 + 1))
    assert of(out, m.NotifyCad) == [m.NotifyCad("responder.message", "a", {"text": "Two minutes away"})]
    m.handle(s, m.Declined("b", T0 + 2))
    assert refusal(m.handle(s, m.ResponderMessage("b", "sorry", T0 + 3))) == ErrorCode.ALERT_OVER
    assert refusal(m.handle(s, m.ResponderMessage("z", "hi", T0 + 3))) == ErrorCode.NOT_ALERTED
