"""A responder after accepting: their ETA on the way, and their statuses from the scene.

Part of the incident machine (`incident.handle` calls the two handlers here). Tracking covers an
accepted responder only, and only while the incident is open: it stops on arrival (by `arrived`
or the `on_scene` status), on stand-down and at the end of the incident, so nobody else's position
or ETA is ever reported. How often the CAD hears an ETA is decided by `eta_report_due`.
"""

from __future__ import annotations

from alerting.domain.incident_events import Decision, EtaReported, NotifyCad, Record, Reject, StatusReported
from alerting.domain.incident_state import ACCEPTED, ARRIVED, ASSIGNED_STATES, ENDED_STATUSES, IncidentState
from alerting.domain.vocabulary import CadEvent, ErrorCode, SceneStatus, TimelineEvent

__all__ = ["ETA_CHANGE_S", "ETA_REPORT_EVERY_S", "eta_report_due", "eta_reported", "is_tracked", "status_reported"]

ETA_REPORT_EVERY_S = 60.0  # at most one `responder.eta` a minute per responder...
ETA_CHANGE_S = 30.0  # ...unless their expected arrival moved by this much since the last report


def is_tracked(state: IncidentState, responder_id: str) -> bool:
    """On their way: accepted, not yet arrived, and the incident not over."""
    alert = state.alerts.get(responder_id)
    return alert is not None and alert.state == ACCEPTED and state.status not in ENDED_STATUSES


def eta_report_due(last: tuple[float, float] | None, *, now: float, eta_s: float) -> bool:
    """Whether a new ETA is worth a `responder.eta`, given `last` = (when, eta_s) of the previous one.

    A minute after the last report, yes. Sooner, only when the expected arrival time moved by
    `ETA_CHANGE_S` or more: an ETA that falls by one second each second, as it does for a responder
    moving as expected, says nothing new, while a responder who stopped, turned back or sped up
    does (their arrival time moves even if the number looks alike)."""
    if last is None:
        return True
    at, eta = last
    if now - at >= ETA_REPORT_EVERY_S:
        return True
    return abs((now + eta_s) - (at + eta)) >= ETA_CHANGE_S


def eta_reported(s: IncidentState, e: EtaReported) -> list[Decision]:
    """The CAD hears the ETA; a responder no longer on their way is not reported (and not refused:
    their app keeps sending positions for the live index)."""
    if not is_tracked(s, e.responder_id):
        return []
    return [
        NotifyCad(
            CadEvent.RESPONDER_ETA,
            e.responder_id,
            {"eta_s": e.eta_s, "distance_m": round(e.distance_m, 1)},
        )
    ]


def status_reported(s: IncidentState, e: StatusReported) -> list[Decision]:
    """Each status is recorded once per alert (a repeat changes nothing); `on_scene` from a
    responder still on their way is their arrival too, reported first."""
    alert = s.alerts.get(e.responder_id)
    if alert is not None and alert.state not in ASSIGNED_STATES and s.status in ENDED_STATUSES:
        return [Reject(ErrorCode.INCIDENT_ENDED, f"the incident is {s.status}")]
    if alert is None or alert.state not in ASSIGNED_STATES:
        return [Reject(ErrorCode.NOT_ACCEPTED, "only a responder who accepted can report from the scene")]
    if e.status in alert.statuses:
        return []
    out: list[Decision] = []
    if e.status == SceneStatus.ON_SCENE and alert.state == ACCEPTED:
        alert.state, alert.arrived_at = ARRIVED, e.now
        out += [
            NotifyCad(CadEvent.RESPONDER_ARRIVED, e.responder_id),
            Record(TimelineEvent.RESPONDER_ARRIVED, {"responder": e.responder_id}),
        ]
    alert.statuses = {**alert.statuses, e.status: e.now}
    s.changed.add(e.responder_id)
    return out + [
        NotifyCad(CadEvent.RESPONDER_STATUS, e.responder_id, {"status": e.status}),
        Record(TimelineEvent.RESPONDER_STATUS, {"responder": e.responder_id, "status": e.status}),
    ]
