"""What a dispatcher (or the CAD) does to an incident by hand: alert one named responder, fire the
next phase now, and exchange messages with the responders. Pure: each refusal is a `Reject` with
an explicit code and words a dispatcher can act on, and a refused action changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from alerting.domain.eligibility import allowed_groups, skip_reason
from alerting.domain.incident_events import (
    AlertedByHand,
    AlerterMessage,
    ControlMessage,
    Decision,
    Escalated,
    NotifyCad,
    Record,
    Reject,
    ResponderMessage,
    SendAlert,
    SendMessage,
)
from alerting.domain.incident_phases import fire_phase
from alerting.domain.incident_selection import alert_for
from alerting.domain.incident_state import (
    ACCEPTED,
    ALERTED,
    ALERTING,
    ARRIVED,
    ENDED_STATUSES,
    EXHAUSTED,
    FILLED,
    NOT_ALERTED,
    IncidentState,
)
from alerting.domain.vocabulary import CadEvent, ErrorCode, MessageFrom, TimelineEvent

__all__ = [
    "LIVE_ALERT_STATES",
    "alerted_by_hand",
    "alerter_message",
    "control_message",
    "escalated",
    "escalation_refusal",
    "hand_alert_refusal",
    "message_log",
    "responder_message",
    "thread_message",
]

LIVE_ALERT_STATES = frozenset({ALERTED, ACCEPTED, ARRIVED})  # who hears the control room's messages
MESSAGE_FROM_CONTROL = MessageFrom.CONTROL


def _status_refusal(s: IncidentState) -> Reject | None:
    """An incident that cannot take more responders, and why, in words."""
    if s.status in ENDED_STATUSES:
        return Reject(ErrorCode.INCIDENT_ENDED, f"the incident is {s.status}")
    if s.status == NOT_ALERTED:
        return Reject(ErrorCode.INCIDENT_NOT_ALERTING, f"the policy alerts no one for this incident: {s.reason}")
    if s.status == FILLED:
        return Reject(
            ErrorCode.INCIDENT_FILLED,
            f"{len(s.assigned())} of {s.accept_limit} needed have accepted; nobody more can be assigned",
        )
    return None


# skip reason (eligibility) -> the refusal's code and words, with the responder's name
_SKIPS: dict[str, tuple[ErrorCode, str]] = {
    "already_alerted": (ErrorCode.ALREADY_ALERTED, "{name} is already alerted to this incident"),
    "unreadable_record": (
        ErrorCode.UNREADABLE_RECORD,
        "{name}'s record cannot be read (for example their quiet hours)",
    ),
    "suspended": (ErrorCode.SUSPENDED, "{name} is suspended"),
    "not_in_phase_groups": (ErrorCode.NOT_IN_POLICY_GROUPS, "{name} is in no group this incident's policy alerts"),
    "credential_expired": (
        ErrorCode.CREDENTIAL_EXPIRED,
        "{name} lacks a verified, unexpired credential the trust requires",
    ),
    "busy": (ErrorCode.BUSY, "{name} is assigned to another open incident"),
    "quiet_hours": (ErrorCode.QUIET_HOURS, "{name} is in their quiet hours"),
    "off_schedule": (ErrorCode.OFF_SCHEDULE, "{name} is outside the on-duty hours they set"),
    "fatigue_limit": (ErrorCode.FATIGUE_LIMIT, "{name} has had as many alerts this hour as the policy allows"),
}


def hand_alert_refusal(s: IncidentState, e: AlertedByHand) -> Reject | None:
    """None when the responder may be alerted by hand: the checks of a phase (active, a group the
    incident's phases alert and allowed at this place, credentials, not busy, quiet hours, the hourly
    limit), on duty with a fresh position; no radius, since the dispatcher chose them."""
    if refusal := _status_refusal(s):
        return refusal
    c = e.candidate
    if c is None:
        return Reject(ErrorCode.NOT_IN_TRUST, f"there is no responder {e.responder_id!r} in this trust")
    live = {rid for rid, a in s.alerts.items() if a.state in LIVE_ALERT_STATES}
    policy_groups = {g for phase in s.phases for g in phase.groups}
    allowed = {g for phase in s.phases for g in allowed_groups(phase.groups, s.location_type, e.private_ok)}
    reason = skip_reason(c, allowed=allowed, already_alerted=live, max_alerts_per_hour=s.policy.max_alerts_per_hour)
    if reason == "not_in_phase_groups" and any(g in policy_groups for g in c.groups):
        return Reject(
            ErrorCode.PUBLIC_PLACES_ONLY, f"{e.name}'s groups are sent only to public places, and this is not one"
        )
    if reason in (
        None,
        "busy",
        "quiet_hours",
        "off_schedule",
        "fatigue_limit",
        "credential_expired",
        "not_in_phase_groups",
    ):
        # Off duty or out of touch says more than the rest: it is what a call to them would find.
        if not e.available:
            return Reject(ErrorCode.OFF_DUTY, f"{e.name} is off duty")
        max_age = s.policy.location_max_age_s
        if e.position_at is None or e.now - e.position_at > max_age:
            return Reject(
                ErrorCode.NO_POSITION,
                f"{e.name}'s app has not reported a position in the last {round(max_age / 60)} minutes",
            )
    if reason is not None:
        code, words = _SKIPS[reason]
        return Reject(code, words.format(name=e.name))
    return None


def alerted_by_hand(s: IncidentState, e: AlertedByHand) -> list[Decision]:
    """The alert goes out as a phase's would. An exhausted incident alerts again for them."""
    if refusal := hand_alert_refusal(s, e):
        return [refusal]
    assert e.candidate is not None  # hand_alert_refusal refuses an unknown responder
    out: list[Decision] = []
    if s.status == EXHAUSTED:
        s.status = ALERTING
        out.append(Record(TimelineEvent.ALERTING_RESUMED, {"by": e.by}))
    first = not s.alerts
    alert = alert_for(s, e.candidate, max(s.phases_fired - 1, 0), e.now)
    out += [
        SendAlert(alert),
        Record(
            TimelineEvent.ALERTED_BY_HAND,
            {"responder": e.responder_id, "by": e.by, "distance_m": alert.distance_m},
        ),
    ]
    if first:
        out.append(NotifyCad(CadEvent.INCIDENT_ALERTING))
    return out


def escalation_refusal(s: IncidentState, phase: str | None) -> Reject | None:
    """None when the next phase may fire now (and, with `phase`, it is that one)."""
    if refusal := _status_refusal(s):
        return refusal
    nxt = s.next_phase()
    if s.status != ALERTING or nxt is None:
        return Reject(ErrorCode.NO_NEXT_PHASE, "every phase of this incident has fired")
    if phase is not None and phase != nxt.name:
        return Reject(ErrorCode.NOT_NEXT_PHASE, f"phase {phase!r} is not the next phase; the next is {nxt.name!r}")
    return None


def escalated(s: IncidentState, e: Escalated) -> list[Decision]:
    """The next phase fires now; its timer, when it comes, finds it fired. Later phases keep their times."""
    if refusal := escalation_refusal(s, e.phase):
        return [refusal]
    index = s.phases_fired
    out: list[Decision] = [Record(TimelineEvent.ESCALATED, {"phase": s.phases[index].name, "by": e.by})]
    return out + fire_phase(s, index, e.candidates, e.private_ok, e.now)


def _live_alerts(s: IncidentState) -> list[Any]:
    return sorted((a for a in s.alerts.values() if a.state in LIVE_ALERT_STATES), key=lambda a: a.responder_id)


def control_message(s: IncidentState, e: ControlMessage) -> list[Decision]:
    """One frame to each responder alerted to, on the way to or at the incident (and the alerter
    hears it: `thread_message`)."""
    if s.status in ENDED_STATUSES:
        return [Reject(ErrorCode.INCIDENT_ENDED, f"the incident is {s.status}")]
    to = _live_alerts(s)
    if not to and not e.alerter:
        return [Reject(ErrorCode.NO_RECIPIENTS, "nobody is alerted to or assigned to this incident now")]
    out: list[Decision] = [SendMessage(a.responder_id, a.alert_id, e.text, e.now) for a in to]
    out.append(
        Record(
            TimelineEvent.MESSAGE_SENT,
            {"from": MESSAGE_FROM_CONTROL, "by": e.by, "text": e.text, "to": [a.responder_id for a in to]},
        )
    )
    return out


def responder_message(s: IncidentState, e: ResponderMessage) -> list[Decision]:
    """Reaches the console (the timeline) and the CAD (`responder.message`) while the alert is live."""
    alert = s.alerts.get(e.responder_id)
    if alert is None:
        return [Reject(ErrorCode.NOT_ALERTED, "this responder was not alerted to this incident")]
    if alert.state not in LIVE_ALERT_STATES or s.status in ENDED_STATUSES:
        return [Reject(ErrorCode.ALERT_OVER, "this alert is over; call the control room if you need to")]
    return [
        Record(
            TimelineEvent.MESSAGE_RECEIVED, {"from": MessageFrom.RESPONDER, "responder": e.responder_id, "text": e.text}
        ),
        NotifyCad(CadEvent.RESPONDER_MESSAGE, e.responder_id, {"text": e.text}),
    ]


def alerter_message(s: IncidentState, e: AlerterMessage) -> list[Decision]:
    """The alerter's words reach each responder alerted to, on the way to or at the incident (their
    `message` frame, `from: "alerter"`), the console (the timeline) and the CAD (`alerter.message`).
    Nobody alerted yet (awaiting a dispatcher's confirmation) is no refusal: the control room reads it."""
    if s.status in ENDED_STATUSES:
        return [Reject(ErrorCode.INCIDENT_ENDED, f"the incident is {s.status}")]
    to = _live_alerts(s)
    out: list[Decision] = [SendMessage(a.responder_id, a.alert_id, e.text, e.now, MessageFrom.ALERTER) for a in to]
    return out + [
        Record(
            TimelineEvent.MESSAGE_FROM_ALERTER,
            {"from": MessageFrom.ALERTER, "text": e.text, "to": [a.responder_id for a in to]},
        ),
        NotifyCad(CadEvent.ALERTER_MESSAGE, None, {"text": e.text}),
    ]


_THREAD = {
    TimelineEvent.MESSAGE_SENT: MessageFrom.CONTROL,
    TimelineEvent.MESSAGE_RECEIVED: MessageFrom.RESPONDER,
    TimelineEvent.MESSAGE_FROM_ALERTER: MessageFrom.ALERTER,
}


def thread_message(decision: Decision) -> tuple[MessageFrom, str] | None:
    """(who wrote, the words) when the decision records a message of the incident's thread: the
    alerter of an incident hears all of them, their own too (every device of theirs shows it)."""
    if isinstance(decision, Record) and (sender := _THREAD.get(decision.event)) is not None:
        return sender, str(decision.data["text"])
    return None


def message_log(timeline: Iterable[Mapping[str, Any]], names: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """The incident's conversation, oldest first, from its timeline entries: `{at, from, text}` with
    `by` (control) or `responder`, and with `names` (the trust's staff, never the CAD) the
    responder's `name` (None once they are erased)."""
    out: list[dict[str, Any]] = []
    for entry in timeline:
        if entry.get("event") == TimelineEvent.MESSAGE_SENT:
            out.append(
                {
                    "at": entry["at"],
                    "from": MESSAGE_FROM_CONTROL,
                    "by": entry.get("by"),
                    "text": entry["text"],
                    "to": list(entry.get("to", [])),
                }
            )
        elif entry.get("event") == TimelineEvent.MESSAGE_RECEIVED:
            rid = entry.get("responder")
            said: dict[str, Any] = {"at": entry["at"], "from": "responder", "responder": rid, "text": entry["text"]}
            if names is not None:
                said["name"] = names.get(rid or "")
            out.append(said)
        elif entry.get("event") == TimelineEvent.MESSAGE_FROM_ALERTER:
            out.append(
                {"at": entry["at"], "from": MessageFrom.ALERTER, "text": entry["text"], "to": list(entry.get("to", []))}
            )
    return out
