"""After the accept: ETA reports and their rate, statuses from the scene, and when tracking stops."""

from __future__ import annotations

import pytest

from alerting.domain import incident as m
from alerting.domain.incident_tracking import eta_report_due, is_tracked
from alerting.domain.vocabulary import CadEvent, ErrorCode, SceneStatus, TimelineEvent
from tests.unit.domain.test_incident import T0, accept, cand, fire, make, of


def assigned(*rids: str) -> m.IncidentState:
    s = make()
    fire(s, 0, T0, *(cand(r, 100 + i) for i, r in enumerate(rids)))
    for slot, rid in enumerate(rids, start=1):
        accept(s, rid, T0 + 5, slot)
    return s


def status(s, rid, value, now=T0 + 60):
    return m.handle(s, m.StatusReported(rid, SceneStatus(value), now))


def test_an_eta_is_reported_at_first_then_at_most_once_a_minute_unless_the_arrival_moves_30_s():
    assert eta_report_due(None, now=T0, eta_s=300)
    last = (T0, 300.0)
    assert not eta_report_due(last, now=T0 + 20, eta_s=280)  # moving as expected: nothing new
    assert not eta_report_due(last, now=T0 + 59, eta_s=241)
    assert eta_report_due(last, now=T0 + 60, eta_s=240)  # a minute on: the regular report
    assert eta_report_due(last, now=T0 + 10, eta_s=330)  # turned away: arrival 40 s later
    assert eta_report_due(last, now=T0 + 10, eta_s=260)  # a lift: arrival 30 s sooner
    assert not eta_report_due(last, now=T0 + 10, eta_s=311)  # 21 s later: within the margin
    assert eta_report_due(last, now=T0 + 30, eta_s=300)  # stood still for 30 s: 30 s late


def test_an_eta_goes_to_the_cad_only_while_the_responder_is_on_the_way():
    s = assigned("amy", "ben")
    out = m.handle(s, m.EtaReported("amy", 240, 412.345, T0 + 30))
    assert out == [m.NotifyCad(CadEvent.RESPONDER_ETA, "amy", {"eta_s": 240, "distance_m": 412.3})]
    m.handle(s, m.Arrived("amy", T0 + 40))
    assert not is_tracked(s, "amy") and m.handle(s, m.EtaReported("amy", 0, 3, T0 + 41)) == []
    assert m.handle(s, m.EtaReported("nobody", 10, 10, T0 + 41)) == []
    m.handle(s, m.Cancelled("hoax", T0 + 50))
    assert not is_tracked(s, "ben") and m.handle(s, m.EtaReported("ben", 100, 100, T0 + 51)) == []


def test_an_alerted_responder_who_has_not_accepted_is_never_tracked():
    s = make()
    fire(s, 0, T0, cand("amy", 100))
    assert not is_tracked(s, "amy")
    assert m.handle(s, m.EtaReported("amy", 100, 100, T0 + 1)) == []


@pytest.mark.parametrize("value", ["with_patient", "aed_collected", "cpr_started"])
def test_a_status_from_the_scene_is_recorded_once_and_reported(value):
    s = assigned("amy")
    out = status(s, "amy", value)
    assert of(out, m.NotifyCad) == [m.NotifyCad(CadEvent.RESPONDER_STATUS, "amy", {"status": value})]
    assert of(out, m.Record) == [m.Record(TimelineEvent.RESPONDER_STATUS, {"responder": "amy", "status": value})]
    assert s.alerts["amy"].statuses == {value: T0 + 60} and "amy" in s.changed
    assert s.alerts["amy"].state == m.ACCEPTED  # still on the way: only on_scene is an arrival
    assert status(s, "amy", value, now=T0 + 90) == [] and s.alerts["amy"].statuses == {value: T0 + 60}


def test_on_scene_is_an_arrival_first_and_ends_tracking():
    s = assigned("amy")
    out = status(s, "amy", "on_scene")
    assert [d.event for d in of(out, m.NotifyCad)] == [CadEvent.RESPONDER_ARRIVED, CadEvent.RESPONDER_STATUS]
    assert s.alerts["amy"].state == m.ARRIVED and s.alerts["amy"].arrived_at == T0 + 60
    assert not is_tracked(s, "amy")
    # After an arrival reported with `arrived`, on_scene is only the status.
    t = assigned("ben")
    m.handle(t, m.Arrived("ben", T0 + 30))
    assert [d.event for d in of(status(t, "ben", "on_scene"), m.NotifyCad)] == [CadEvent.RESPONDER_STATUS]
    assert t.alerts["ben"].arrived_at == T0 + 30


def test_only_an_assigned_responder_reports_from_the_scene():
    s = make()
    fire(s, 0, T0, cand("amy", 100), cand("ben", 120))
    assert of(status(s, "amy", "cpr_started"), m.Reject)[0].code == ErrorCode.NOT_ACCEPTED
    assert of(status(s, "nobody", "cpr_started"), m.Reject)[0].code == ErrorCode.NOT_ACCEPTED
    accept(s, "ben", T0 + 5, 1)
    m.handle(s, m.Closed(T0 + 10))
    assert of(status(s, "ben", "cpr_started"), m.Reject)[0].code == ErrorCode.INCIDENT_ENDED
    assert s.alerts["ben"].statuses == {}
