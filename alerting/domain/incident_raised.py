"""Incidents an alerter raised: how they start, how a dispatcher confirms them, how the CAD adopts
them. Pure, like the machine that calls it; everything after the start is the ordinary incident.

A raised incident runs one phase, made from the policy's `alerter` section (`alerters.phases_for`).
In `confirm` mode it waits (`awaiting_confirmation`, no phase due, nothing alerted) until
`Confirmed`; the CAD's `Adopted` gives it the CAD's reference and confirms it if it still waits.
One nobody confirms within the section's `confirm_timeout_s` is closed when its timer fires
(`unconfirmed`): the bystander is told to call, the CAD hears it stood down.
"""

from __future__ import annotations

from alerting.domain.alerters import phases_for
from alerting.domain.incident_events import Adopted, Confirmed, Decision, NotifyCad, Record, Reject
from alerting.domain.incident_state import (
    ALERTING,
    AWAITING_CONFIRMATION,
    CLOSED,
    ENDED_STATUSES,
    IncidentState,
    confirm_due_at,
)
from alerting.domain.vocabulary import CadEvent, ErrorCode, IncidentSource, NotAlertedReason, TimelineEvent

__all__ = [
    "adopted",
    "confirmed",
    "held",
    "provisional_ref",
    "raised_facts",
    "raised_notice",
    "start_raised",
    "unconfirmed",
]

PROVISIONAL_PREFIX = "alerter-"


def provisional_ref(incident_id: str) -> str:
    """The reference a raised incident carries until the CAD gives it its own."""
    return f"{PROVISIONAL_PREFIX}{incident_id}"


def start_raised(s: IncidentState) -> None:
    """A raised incident's one phase and accept limit come from the policy's `alerter` section."""
    rules = s.policy.alerter
    s.phases = phases_for(rules, s.policy.phases)
    s.accept_limit = rules.accept_limit
    s.zone = None


def raised_facts(s: IncidentState) -> dict[str, object]:
    """What the `reported` timeline entry of a raised incident adds."""
    if s.source != IncidentSource.ALERTER:
        return {}
    return {"source": IncidentSource.ALERTER, "alerter": s.alerter_id, "mode": s.policy.alerter.mode}


def held(s: IncidentState) -> list[Decision]:
    """Confirm mode: the incident waits for a dispatcher; no phase is due until then."""
    s.status = AWAITING_CONFIRMATION
    return [Record(TimelineEvent.AWAITING_CONFIRMATION, {})]


def raised_notice(s: IncidentState) -> NotifyCad:
    """`incident.raised`, the first event the CAD hears of a raised incident."""
    return NotifyCad(
        CadEvent.INCIDENT_RAISED,
        data={
            "source": IncidentSource.ALERTER,
            "alerter_id": s.alerter_id,
            "status": s.status,
            "lat": s.lat,
            "lon": s.lon,
        },
    )


def _minutes(seconds: float) -> str:
    whole = round(seconds / 60)
    return "1 minute" if whole == 1 else f"{whole} minutes"


def unconfirmed(s: IncidentState, now: float) -> list[Decision]:
    """A held alarm nobody confirmed by its due time is closed: nobody was alerted, and help sent
    this late is not what the bystander asked for. The CAD hears `incident.stood_down` (with
    `reason_code` `not_confirmed`), as when a dispatcher cancels one; before its time, nothing."""
    due = confirm_due_at(s)
    if s.status != AWAITING_CONFIRMATION or due is None or now < due:
        return []
    waited = s.policy.alerter.confirm_timeout_s
    s.status = CLOSED
    s.reason = f"nobody confirmed the alarm within {_minutes(waited)}"
    s.reason_code = NotAlertedReason.NOT_CONFIRMED
    return [
        Record(TimelineEvent.CONFIRMATION_EXPIRED, {"after_s": waited}),
        NotifyCad(
            CadEvent.INCIDENT_STOOD_DOWN,
            data={"status": CLOSED, "reason": s.reason, "reason_code": s.reason_code},
        ),
    ]


def confirmed(s: IncidentState, e: Confirmed) -> list[Decision]:
    """Starts the phase of an incident awaiting confirmation. Confirming a raised incident that no
    longer waits changes nothing (a retried click); one the CAD reported never waits (refused)."""
    if s.status in ENDED_STATUSES:
        return [Reject(ErrorCode.INCIDENT_ENDED, f"the incident is {s.status}; it cannot be confirmed")]
    if s.status == AWAITING_CONFIRMATION:
        s.status, s.started_at = ALERTING, e.now
        return [Record(TimelineEvent.CONFIRMED, {"by": e.by})]
    if s.source == IncidentSource.ALERTER:
        return []
    return [
        Reject(
            ErrorCode.NOT_AWAITING_CONFIRMATION,
            "only an alert raised by an alerter and awaiting confirmation can be confirmed",
        )
    ]


def adopted(s: IncidentState, e: Adopted) -> list[Decision]:
    """The CAD's reference replaces the provisional one, once; the same reference again changes nothing."""
    if e.cad_ref == s.cad_ref:
        return []
    if s.source != IncidentSource.ALERTER:
        return [Reject(ErrorCode.NOT_RAISED_BY_ALERTER, "only an alert raised by an alerter can take a new cad_ref")]
    if s.status in ENDED_STATUSES:
        return [Reject(ErrorCode.INCIDENT_ENDED, f"the incident is {s.status}; it cannot be adopted")]
    if s.cad_ref != provisional_ref(s.id):
        return [Reject(ErrorCode.ALREADY_ADOPTED, f"the CAD adopted this incident already, as {s.cad_ref!r}")]
    was, s.cad_ref = s.cad_ref, e.cad_ref
    out: list[Decision] = [Record(TimelineEvent.ADOPTED, {"cad_ref": e.cad_ref, "was": was, "by": e.by})]
    if s.status == AWAITING_CONFIRMATION:
        out += confirmed(s, Confirmed(e.now, e.by))
    return out
