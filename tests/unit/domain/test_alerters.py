"""Raised alerts in the pure rules: the policy section, the one phase, confirmation, adoption, limits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.domain import incident as m
from alerting.domain.alerters import DAY_S, daily_retry_after_s
from alerting.domain.eligibility import Candidate
from alerting.domain.incident_raised import provisional_ref
from alerting.domain.policy import PolicyError, build_policy
from alerting.domain.policy_document import PolicyIn
from alerting.domain.vocabulary import CadEvent, ErrorCode, IncidentSource, TimelineEvent

GROUPS = {"staff", "community"}
BASE = {
    "phases": [
        {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "everyone", "groups": ["staff", "community"], "radius_m": 1000, "delay_s": 30},
    ],
    "accept_limit": 3,
    "categories": ["09-E-*"],
}
T0 = 1_000_000.0
PRIVATE_OK = {"staff": True, "community": False}


def raised(mode: str = "auto", **section) -> m.IncidentState:
    policy, _ = build_policy({**BASE, "alerter": {"enabled": True, "mode": mode, **section}}, known_groups=GROUPS)
    return m.new_incident(
        id="inc-1",
        cad_ref=provisional_ref("inc-1"),
        lat=53.8,
        lon=-1.55,
        category="alerter",  # not among the policy's categories: a raised alert alerts all the same
        location_type="unknown",
        created_at=T0,
        policy=policy,
        policy_version=1,
        source=IncidentSource.ALERTER,
        alerter_id="bea",
    )


def test_the_section_is_strict_and_its_rules_name_the_field():
    ok = PolicyIn.model_validate({**BASE, "alerter": {"enabled": True}})
    assert ok.alerter is not None and ok.alerter.mode == "confirm" and ok.alerter.emergency_number == "999"
    for bad in (
        {"enabled": 1},
        {"mode": "sometimes"},
        {"who": "everybody"},
        {"emergency_number": "call 999"},
        {"radius_m": "200"},
        {"max_per_day": True},
        {"surprise": 1},
    ):
        with pytest.raises(ValidationError):
            PolicyIn.model_validate({**BASE, "alerter": bad})
    with pytest.raises(PolicyError) as refused:
        build_policy({**BASE, "alerter": {"groups": ["nobody"], "radius_m": 5, "max_per_day": 0}}, known_groups=GROUPS)
    assert {e.loc for e in refused.value.errors} == {"alerter.groups", "alerter.radius_m", "alerter.max_per_day"}
    off, _ = build_policy(BASE, known_groups=GROUPS)
    assert off.alerter.enabled is False


def test_auto_runs_one_phase_of_the_section_now_and_tells_the_cad_first():
    s = raised("auto", radius_m=150, accept_limit=1)
    decisions = m.handle(s, m.Reported(T0))
    assert s.status == m.ALERTING and s.started_at == T0 and s.accept_limit == 1
    assert [(p.name, p.groups, p.radius_m, p.delay_s) for p in s.phases] == [("alerter", ("staff",), 150, 0.0)]
    notices = [d for d in decisions if isinstance(d, m.NotifyCad)]
    assert [n.event for n in notices] == [CadEvent.INCIDENT_RAISED]
    assert notices[0].data["alerter_id"] == "bea" and notices[0].data["status"] == "alerting"
    fired = m.handle(
        s, m.PhaseDue(0, T0, [Candidate("amy", 100, ("staff",)), Candidate("far", 400, ("staff",))], PRIVATE_OK)
    )
    assert [d.alert.responder_id for d in fired if isinstance(d, m.SendAlert)] == ["amy"]
    assert s.next_phase() is None


def test_confirm_mode_waits_with_nothing_due_then_starts_on_confirmation():
    s = raised("confirm")
    decisions = m.handle(s, m.Reported(T0))
    assert s.status == m.AWAITING_CONFIRMATION and s.due_phases(T0 + 3600) == []
    assert s.wake_at() == T0 + 600  # only the end of its wait is due (confirm_timeout_s: 10 min by default)
    assert [d.event for d in decisions if isinstance(d, m.Record)][-1] == TimelineEvent.AWAITING_CONFIRMATION
    out = m.handle(s, m.Confirmed(T0 + 40, "Dee Spatcher"))
    assert s.status == m.ALERTING and s.started_at == T0 + 40 and s.due_phases(T0 + 40) == [0]
    assert [d.event for d in out if isinstance(d, m.Record)] == [TimelineEvent.CONFIRMED]
    assert m.handle(s, m.Confirmed(T0 + 41, "again")) == []  # a retried click changes nothing
    m.handle(s, m.Cancelled("done", T0 + 50))
    ended = m.handle(s, m.Confirmed(T0 + 60, "late"))
    assert [d.code for d in ended if isinstance(d, m.Reject)] == [ErrorCode.INCIDENT_ENDED]


def test_a_raise_nobody_confirms_in_time_is_closed_and_the_cad_hears_it_stood_down():
    s = raised("confirm", confirm_timeout_s=300)
    m.handle(s, m.Reported(T0))
    assert s.wake_at() == T0 + 300
    assert m.handle(s, m.AlertExpired(T0 + 299.9)) == [] and s.status == m.AWAITING_CONFIRMATION  # not yet
    out = m.handle(s, m.AlertExpired(T0 + 300))
    assert s.status == m.CLOSED and s.wake_at() is None and s.alerts == {}
    assert s.reason_code == "not_confirmed" and s.reason == "nobody confirmed the alarm within 5 minutes"
    assert [d.event for d in out if isinstance(d, m.Record)] == [TimelineEvent.CONFIRMATION_EXPIRED]
    assert [d.data for d in out if isinstance(d, m.Record)] == [{"after_s": 300}]
    notices = [d for d in out if isinstance(d, m.NotifyCad)]
    assert [n.event for n in notices] == [CadEvent.INCIDENT_STOOD_DOWN]
    assert notices[0].data == {"status": "closed", "reason": s.reason, "reason_code": "not_confirmed"}
    assert m.handle(s, m.AlertExpired(T0 + 400)) == []  # a second timer or the sweep: nothing more
    late = m.handle(s, m.Confirmed(T0 + 301, "Dee Spatcher"))  # a dispatcher a moment too late
    assert [d.code for d in late if isinstance(d, m.Reject)] == [ErrorCode.INCIDENT_ENDED]
    adopted = m.handle(s, m.Adopted("CAD-9", T0 + 302, "the CAD"))
    assert [d.code for d in adopted if isinstance(d, m.Reject)] == [ErrorCode.INCIDENT_ENDED]


def test_a_confirmed_raise_no_longer_waits_to_be_closed():
    s = raised("confirm", confirm_timeout_s=60)
    m.handle(s, m.Reported(T0))
    m.handle(s, m.Confirmed(T0 + 30, "Dee Spatcher"))
    m.handle(s, m.AlertExpired(T0 + 61))
    assert s.status != m.CLOSED and s.reason_code is None


def test_the_confirmation_timeout_is_bounded_and_named():
    assert raised("confirm").policy.alerter.confirm_timeout_s == 600
    for bad in (59, 3601, float("inf")):
        with pytest.raises((PolicyError, ValidationError)) as refused:
            build_policy({**BASE, "alerter": {"confirm_timeout_s": bad}}, known_groups=GROUPS)
        if isinstance(refused.value, PolicyError):
            assert [(e.loc, e.msg) for e in refused.value.errors] == [
                ("alerter.confirm_timeout_s", "must be between 1 and 60 minutes (60 to 3600 s)")
            ]
    with pytest.raises(ValidationError):
        PolicyIn.model_validate({**BASE, "alerter": {"confirm_timeout_s": "600"}})


def test_without_any_group_to_alert_a_raise_is_not_alerted_and_says_why():
    policy, _ = build_policy(BASE, known_groups=GROUPS)
    s = raised("auto")
    s.policy = type(policy)(phases=(), alerter=s.policy.alerter)
    m.handle(s, m.Reported(T0))
    assert s.status == m.NOT_ALERTED and s.reason_code == "no_policy"


def test_adoption_takes_the_cad_reference_once_and_confirms_a_waiting_alert():
    s = raised("confirm")
    m.handle(s, m.Reported(T0))
    out = m.handle(s, m.Adopted("CAD-77", T0 + 5, "the CAD"))
    assert s.cad_ref == "CAD-77" and s.status == m.ALERTING
    assert [d.event for d in out if isinstance(d, m.Record)] == [TimelineEvent.ADOPTED, TimelineEvent.CONFIRMED]
    assert m.handle(s, m.Adopted("CAD-77", T0 + 6, "the CAD")) == []
    again = m.handle(s, m.Adopted("CAD-78", T0 + 7, "the CAD"))
    assert [d.code for d in again if isinstance(d, m.Reject)] == [ErrorCode.ALREADY_ADOPTED]


def test_a_cad_incident_cannot_be_adopted_or_confirmed():
    policy, _ = build_policy(BASE, known_groups=GROUPS)
    s = m.new_incident(
        id="c1",
        cad_ref="CAD-1",
        lat=53.8,
        lon=-1.55,
        category="09-E-01",
        location_type="public",
        created_at=T0,
        policy=policy,
        policy_version=1,
    )
    m.handle(s, m.Reported(T0))
    assert [d.code for d in m.handle(s, m.Adopted("CAD-2", T0, "x")) if isinstance(d, m.Reject)] == [
        ErrorCode.NOT_RAISED_BY_ALERTER
    ]
    assert [d.code for d in m.handle(s, m.Confirmed(T0, "x")) if isinstance(d, m.Reject)] == [
        ErrorCode.NOT_AWAITING_CONFIRMATION
    ]


def test_the_daily_limit_counts_any_24_hours_and_says_when_it_frees():
    now = T0 + DAY_S
    assert daily_retry_after_s([now - 10, now - 20], max_per_day=3, now=now) is None
    three = [now - 3600 * 23, now - 3600 * 2, now - 60]
    assert daily_retry_after_s(three, max_per_day=3, now=now) == 3600  # the oldest leaves the window in an hour
    assert daily_retry_after_s([now - DAY_S - 1, *three[1:]], max_per_day=3, now=now) is None
