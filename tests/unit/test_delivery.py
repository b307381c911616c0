"""Which alerts also go out by push."""

from __future__ import annotations

from alerting.domain.delivery import due_for_push
from alerting.domain.incident import ACCEPTED, ALERTED, FILLED, AlertRecord, IncidentState
from alerting.domain.policy import Policy


def state(*alerts: AlertRecord, status: str = "alerting") -> IncidentState:
    return IncidentState(
        id="i",
        cad_ref="c",
        lat=53.8,
        lon=-1.5,
        category="09-E-01",
        location_type="public",
        created_at=100.0,
        policy=Policy(phases=(), ack_timeout_s=5),
        status=status,
        alerts={a.responder_id: a for a in alerts},
    )


def alert(
    rid: str, *, at: float = 100.0, state_: str = ALERTED, delivered: float | None = None, expires: float = 700.0
) -> AlertRecord:
    return AlertRecord(
        alert_id=f"a-{rid}",
        responder_id=rid,
        phase=0,
        distance_m=10.0,
        alerted_at=at,
        expires_at=expires,
        state=state_,
        delivered_at=delivered,
    )


def ids(records: list[AlertRecord]) -> list[str]:
    return [a.responder_id for a in records]


def test_unacknowledged_alerts_are_pushed_after_the_ack_timeout():
    s = state(alert("late"), alert("acked", delivered=101.0), alert("newer", at=103.0))
    assert ids(due_for_push(s, 104.9)) == []
    assert ids(due_for_push(s, 105.0)) == ["late"]
    assert ids(due_for_push(s, 108.0)) == ["late", "newer"]


def test_no_socket_means_push_at_once():
    s = state(alert("pocket"), alert("online"))
    assert ids(due_for_push(s, 100.0, no_socket={"pocket"})) == ["pocket"]


def test_answered_expired_or_ended_alerts_are_never_pushed():
    s = state(alert("accepted", state_=ACCEPTED), alert("expired", expires=104.0), alert("fresh"))
    assert ids(due_for_push(s, 106.0)) == ["fresh"]
    assert due_for_push(state(alert("x"), status=FILLED), 200.0, no_socket={"x"}) == []
