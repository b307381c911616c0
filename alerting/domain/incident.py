"""The incident state machine: events in, decisions out, no I/O and no clock.

Like a sans-I/O protocol object: the caller loads an `IncidentState`, calls `handle(state, event)`,
persists the state and carries out the returned decisions (send frames, tell the CAD, write the
timeline). Time arrives inside each event. Every rule about phases, categories, flags, the
ambulance, eligibility, replacement, assignment and statuses is decided here and nowhere else.
The state lives in `incident_state`, the events and decisions in `incident_events`; both are
re-exported here, so callers read `incident.PhaseDue`, `incident.ALERTING`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, assert_never

from alerting.domain.eligibility import allowed_groups
from alerting.domain.incident_dispatch import (
    alerted_by_hand,
    alerter_message,
    control_message,
    escalated,
    escalation_refusal,
    responder_message,
)
from alerting.domain.incident_events import (
    EXCLUDED,
    WITHDRAWN,
    Accepted,
    Adopted,
    AlertedByHand,
    AlerterMessage,
    AlertExpired,
    AmbulanceEtaChanged,
    Arrived,
    Cancelled,
    Closed,
    Confirmed,
    ControlMessage,
    Decision,
    Declined,
    Delivered,
    Escalated,
    EtaReported,
    Event,
    FlagsChanged,
    Moved,
    NotifyCad,
    PhaseDue,
    Recategorised,
    Record,
    Reject,
    ReplacementDue,
    Reported,
    ResponderMessage,
    SendAlert,
    SendAssigned,
    SendDeclined,
    SendMessage,
    SendStandDown,
    StatusReported,
    Withdrawn,
)
from alerting.domain.incident_phases import fire_phase
from alerting.domain.incident_phases import maybe_exhausted as _maybe_exhausted
from alerting.domain.incident_raised import (
    adopted,
    confirmed,
    held,
    raised_facts,
    raised_notice,
    start_raised,
    unconfirmed,
)
from alerting.domain.incident_selection import alert_for, choose, why_not_alerted
from alerting.domain.incident_state import (
    ACCEPTED,
    ALERTED,
    ALERTING,
    ARRIVED,
    ASSIGNED_STATES,
    AWAITING_CONFIRMATION,
    CANCELLED,
    CLOSED,
    DECLINED,
    ENDED_STATUSES,
    EXHAUSTED,
    EXPIRED,
    FILLED,
    NOT_ALERTED,
    OPEN_STATUSES,
    STOOD_DOWN,
    AedInfo,
    AlertRecord,
    IncidentState,
    alert_id_for,
)
from alerting.domain.incident_tracking import eta_reported, status_reported
from alerting.domain.policy import Policy
from alerting.domain.report import LocationType
from alerting.domain.vocabulary import (
    AlertState,
    AssignmentRole,
    CadEvent,
    ErrorCode,
    IncidentSource,
    NotAlertedReason,
    TimelineEvent,
)

__all__ = [  # the state, events and decisions, named through this module
    "ACCEPTED",
    "ALERTED",
    "ALERTING",
    "ARRIVED",
    "ASSIGNED_STATES",
    "AWAITING_CONFIRMATION",
    "Accepted",
    "Adopted",
    "AedInfo",
    "AlertExpired",
    "AlertedByHand",
    "AlerterMessage",
    "AlertRecord",
    "AmbulanceEtaChanged",
    "Arrived",
    "CANCELLED",
    "CLOSED",
    "Cancelled",
    "Closed",
    "Confirmed",
    "ControlMessage",
    "DECLINED",
    "Decision",
    "Declined",
    "Delivered",
    "ENDED_STATUSES",
    "EXCLUDED",
    "EXHAUSTED",
    "EXPIRED",
    "EtaReported",
    "Escalated",
    "Event",
    "FILLED",
    "FlagsChanged",
    "IncidentState",
    "Moved",
    "NOT_ALERTED",
    "NotifyCad",
    "OPEN_STATUSES",
    "PhaseDue",
    "Recategorised",
    "Record",
    "Reject",
    "ReplacementDue",
    "Reported",
    "ResponderMessage",
    "STOOD_DOWN",
    "SendAlert",
    "SendAssigned",
    "SendMessage",
    "SendDeclined",
    "SendStandDown",
    "StatusReported",
    "WITHDRAWN",
    "Withdrawn",
    "accept_lost",
    "accept_precheck",
    "acknowledged",
    "alert_id_for",
    "escalation_refusal",
    "handle",
    "new_incident",
    "rules_label",
]

# ---- the machine --------------------------------------------------------------------------


def new_incident(
    *,
    id: str,
    cad_ref: str,
    lat: float,
    lon: float,
    category: str,
    location_type: LocationType,
    created_at: float,
    policy: Policy,
    policy_version: int | None,
    aed: AedInfo | None = None,
    flags: Sequence[str] = (),
    ambulance_eta_s: float | None = None,
    source: IncidentSource = IncidentSource.CAD,
    alerter_id: str | None = None,
) -> IncidentState:
    return IncidentState(
        source=source,
        alerter_id=alerter_id,
        id=id,
        cad_ref=cad_ref,
        lat=lat,
        lon=lon,
        category=category,
        location_type=location_type,
        created_at=created_at,
        policy=policy,
        policy_version=policy_version,
        aed=aed,
        flags=tuple(dict.fromkeys(flags)),
        ambulance_due_at=None if ambulance_eta_s is None else created_at + ambulance_eta_s,
    )


def handle(state: IncidentState, event: Event) -> list[Decision]:
    """Apply one event; an `Event` without a case here fails the type check (`assert_never`)."""
    match event:
        case Reported():
            return _reported(state, event)
        case PhaseDue():
            return _phase_due(state, event)
        case Accepted():
            return _accepted(state, event)
        case Declined():
            return _declined(state, event)
        case Arrived():
            return _arrived(state, event)
        case StatusReported():
            return status_reported(state, event)
        case EtaReported():
            return eta_reported(state, event)
        case Delivered():
            return _delivered(state, event)
        case Moved():
            return _moved(state, event)
        case Recategorised():
            return _recategorised(state, event)
        case FlagsChanged():
            return _flags_changed(state, event)
        case AmbulanceEtaChanged():
            return _ambulance_eta_changed(state, event)
        case ReplacementDue():
            return _replacement_due(state, event)
        case Cancelled():
            return _cancelled(state, event)
        case Closed():
            return _closed(state, event)
        case AlertExpired():
            return _alert_expired(state, event)
        case Withdrawn():
            return _withdrawn(state, event)
        case AlertedByHand():
            return alerted_by_hand(state, event)
        case Escalated():
            return escalated(state, event)
        case ControlMessage():
            return control_message(state, event)
        case ResponderMessage():
            return responder_message(state, event)
        case AlerterMessage():
            return alerter_message(state, event)
        case Confirmed():
            return confirmed(state, event)
        case Adopted():
            return adopted(state, event)
        case _:
            assert_never(event)


def accept_precheck(state: IncidentState, responder_id: str) -> list[Decision] | None:
    """The answer to an accept that cannot win, so it never takes a slot; None: ask the script."""
    alert = state.alerts.get(responder_id)
    if alert is None:
        return [Reject(ErrorCode.NOT_ALERTED, "this responder was not alerted to this incident")]
    if alert.state in ASSIGNED_STATES:
        return [SendAssigned(responder_id, alert.alert_id, alert.role or AssignmentRole.SCENE)]
    if alert.state == STOOD_DOWN and state.status in (ALERTING, EXHAUSTED):
        return [SendStandDown(responder_id, alert.alert_id, WITHDRAWN)]  # only a withdrawal does that
    if state.status in ENDED_STATUSES:
        return [SendStandDown(responder_id, alert.alert_id, state.status)]
    if state.status == FILLED:
        return [SendStandDown(responder_id, alert.alert_id, "filled")]
    if alert.state == EXPIRED or state.status == EXHAUSTED:
        return [SendStandDown(responder_id, alert.alert_id, "expired")]
    return None


def accept_lost(state: IncidentState, responder_id: str, *, not_open: bool) -> list[Decision]:
    """The answer to an accept the referee refused, after `accept_precheck` let it through: the
    limit was reached ("filled"), or the incident is no longer open (`not_open`: its end when the
    state shows one, else "filled").

    Decided on the accept fast path's state (the incident row and this responder's alert only), and
    it changes nothing but the timeline: the accept that filled the incident stands the others down
    in its own transaction, and ending the alert here as well would race it.
    """
    alert = state.alerts[responder_id]
    reason = state.status if not_open and state.status in ENDED_STATUSES else FILLED
    return [
        SendStandDown(responder_id, alert.alert_id, reason),
        Record(TimelineEvent.ACCEPT_REFUSED, {"responder": responder_id, "reason": reason}),
    ]


def acknowledged(responder_id: str, *, first: bool) -> list[Decision]:
    """An ack: the first sets `delivered_at` and is recorded, a repeat changes nothing.

    Every alerted app acks, so the service decides `first` with one conditional write (set where
    still empty) instead of loading the incident; `Delivered` is the same rule on a loaded state.
    """
    return [Record(TimelineEvent.ALERT_DELIVERED, {"responder": responder_id})] if first else []


def rules_label(zone: str | None, policy_version: int | None) -> str:
    """What decided the phases, in the words a dispatcher reads: "zone rural north, policy v7"."""
    where = f"zone {zone}" if zone else "trust-wide phases"
    return f"{where}, policy v{policy_version}" if policy_version is not None else f"{where}, no policy"


def _reported(s: IncidentState, e: Reported) -> list[Decision]:
    alerter = s.source == IncidentSource.ALERTER
    if alerter:
        start_raised(s)
    else:
        zone = s.policy.zone_for(s.lat, s.lon)
        s.phases = zone.phases if zone else s.policy.phases
        s.accept_limit = (zone.accept_limit if zone and zone.accept_limit else None) or s.policy.accept_limit
        s.zone = zone.name if zone else None
    out: list[Decision] = [
        Record(
            TimelineEvent.REPORTED,
            {
                "policy_version": s.policy_version,
                "zone": s.zone,
                "rules": rules_label(s.zone, s.policy_version),
                "category": s.category,
                "location_type": s.location_type,
                "accept_limit": s.accept_limit,
                "flags": list(s.flags),
                "ambulance_eta_s": s.ambulance_eta_s(e.now),
            }
            | raised_facts(s),
        )
    ]
    why = why_not_alerted(s)
    if why is not None:
        refused = _not_alerted(s, *why)
        return out + ([raised_notice(s)] if alerter else []) + refused
    if alerter and s.policy.alerter.confirm:
        out += held(s)
    else:
        s.started_at = e.now
    return out + ([raised_notice(s)] if alerter else [])


def _not_alerted(s: IncidentState, code: NotAlertedReason, reason: str) -> list[Decision]:
    s.status, s.reason, s.reason_code = NOT_ALERTED, reason, code
    return [
        Record(TimelineEvent.NOT_ALERTED, {"reason": reason, "code": code}),
        NotifyCad(CadEvent.INCIDENT_NOT_ALERTED),
    ]


def _start_alerting(s: IncidentState, now: float, cause: dict[str, Any]) -> list[Decision]:
    """A not-alerted incident the policy now alerts for (recategorised, a flag lifted) starts its phases."""
    s.status, s.reason, s.reason_code = ALERTING, None, None
    if s.started_at is None:
        s.started_at = now
    return [Record(TimelineEvent.ALERTING_STARTED, cause)]


def _phase_due(s: IncidentState, e: PhaseDue) -> list[Decision]:
    if e.index != s.phases_fired or e.index not in s.due_phases(e.now):
        return []  # already fired, out of order, not yet due, or incident no longer alerting
    return fire_phase(s, e.index, e.candidates, e.private_ok, e.now)


def _role_for(s: IncidentState, e: Accepted) -> AssignmentRole:
    """First assigned goes to the scene. A later one fetches the AED when the incident's nearest
    AED is closer to them than it is to the scene, and nobody holds that role yet. Nobody fetches
    one who brings their own, nor once an assigned responder brings one."""
    assigned = [a for a in s.assigned()]
    distance_to_aed_m = e.distance_to_aed_m
    if not assigned or s.aed is None or distance_to_aed_m is None or e.carries_aed or e.aed_coming:
        return AssignmentRole.SCENE
    if any(a.role == AssignmentRole.AED for a in assigned):
        return AssignmentRole.SCENE
    return AssignmentRole.AED if distance_to_aed_m < s.aed.distance_m else AssignmentRole.SCENE


def _accepted(s: IncidentState, e: Accepted) -> list[Decision]:
    early = accept_precheck(s, e.responder_id)
    alert = s.alerts.get(e.responder_id)
    if alert is None or (early and alert.state in ASSIGNED_STATES):
        return early or []
    if e.slot <= 0:
        return accept_lost(s, e.responder_id, not_open=e.slot < 0)
    if s.status in ENDED_STATUSES:  # the slot was won, but the incident ended in SQL first
        reason = s.status
        out: list[Decision] = [SendStandDown(e.responder_id, alert.alert_id, reason)]
        if alert.state in (ALERTED, DECLINED):
            _end(s, alert, STOOD_DOWN, e.now)
            out.append(Record(TimelineEvent.ACCEPT_REFUSED, {"responder": e.responder_id, "reason": reason}))
        return out
    # A won slot is honoured even if the fill was recorded first: Redis, not SQL order, decides.
    alert.role = _role_for(s, e)
    alert.state, alert.accepted_at, alert.ended_at = ACCEPTED, e.now, None
    s.changed.add(e.responder_id)
    out = [
        SendAssigned(e.responder_id, alert.alert_id, alert.role),
        NotifyCad(CadEvent.RESPONDER_ACCEPTED, e.responder_id),
        Record(TimelineEvent.RESPONDER_ACCEPTED, {"responder": e.responder_id, "role": alert.role, "slot": e.slot}),
    ]
    if s.status in (ALERTING, EXHAUSTED) and len(s.assigned()) >= s.accept_limit:
        s.status = FILLED
        for other in s.alerts.values():
            if other.state == ALERTED:
                _end(s, other, STOOD_DOWN, e.now)
                out.append(SendStandDown(other.responder_id, other.alert_id, "filled"))
        out += [
            NotifyCad(CadEvent.INCIDENT_FILLED),
            Record(TimelineEvent.INCIDENT_FILLED, {"accepted": len(s.assigned())}),
        ]
    return out


def _declined(s: IncidentState, e: Declined) -> list[Decision]:
    alert = s.alerts.get(e.responder_id)
    if alert is None:
        return [Reject(ErrorCode.NOT_ALERTED, "this responder was not alerted to this incident")]
    if alert.state in ASSIGNED_STATES:
        return [Reject(ErrorCode.ALREADY_ACCEPTED, "an accepted assignment cannot be declined; ask the dispatcher")]
    if alert.state != ALERTED:
        return []  # declining an alert already over changes nothing
    _end(s, alert, DECLINED, e.now)
    alert.decline_reason = e.reason
    out: list[Decision] = [
        SendDeclined(e.responder_id, alert.alert_id, e.reason),
        NotifyCad(CadEvent.RESPONDER_DECLINED, e.responder_id),
        Record(
            TimelineEvent.RESPONDER_DECLINED,
            {"responder": e.responder_id, **({"reason": e.reason} if e.reason else {})},
        ),
    ]
    return out + _maybe_exhausted(s, e.now)


def _arrived(s: IncidentState, e: Arrived) -> list[Decision]:
    alert = s.alerts.get(e.responder_id)
    if alert is None or alert.state not in ASSIGNED_STATES:
        return [Reject(ErrorCode.NOT_ACCEPTED, "only a responder who accepted can arrive")]
    if alert.state == ARRIVED:
        return []
    alert.state, alert.arrived_at = ARRIVED, e.now
    s.changed.add(e.responder_id)
    return [
        NotifyCad(CadEvent.RESPONDER_ARRIVED, e.responder_id),
        Record(TimelineEvent.RESPONDER_ARRIVED, {"responder": e.responder_id}),
    ]


def _delivered(s: IncidentState, e: Delivered) -> list[Decision]:
    alert = s.alerts.get(e.responder_id)
    if alert is None:
        return [Reject(ErrorCode.NOT_ALERTED, "this responder was not alerted to this incident")]
    first = alert.delivered_at is None
    if first:
        alert.delivered_at = e.now
        s.changed.add(e.responder_id)
    return acknowledged(e.responder_id, first=first)


def _moved(s: IncidentState, e: Moved) -> list[Decision]:
    if s.status in ENDED_STATUSES:
        return [Reject(ErrorCode.INCIDENT_ENDED, f"the incident is {s.status}")]
    s.lat, s.lon, s.aed = e.lat, e.lon, e.aed
    out: list[Decision] = [Record(TimelineEvent.MOVED, {"lat": e.lat, "lon": e.lon})]
    for alert in s.alerts.values():
        if alert.state in (ALERTED, ACCEPTED) and alert.responder_id in e.distances:
            alert.distance_m = round(e.distances[alert.responder_id], 1)
            s.changed.add(alert.responder_id)
            out.append(SendAlert(alert, resend=True))
    return out


def _recategorised(s: IncidentState, e: Recategorised) -> list[Decision]:
    s.category = e.category
    out: list[Decision] = [Record(TimelineEvent.RECATEGORISED, {"category": e.category})]
    if s.status == NOT_ALERTED and why_not_alerted(s) is None:
        out += _start_alerting(s, e.now, {"category": e.category})
    elif s.status == NOT_ALERTED and (why := why_not_alerted(s)) is not None:
        s.reason, s.reason_code = why[1], why[0]
    elif s.status == ALERTING and s.started_at is None and why_not_alerted(s) is None:
        s.started_at = e.now  # an incident stored before `not_alerted` existed
        out.append(Record(TimelineEvent.ALERTING_STARTED, {"category": e.category}))
    return out


def _flags_changed(s: IncidentState, e: FlagsChanged) -> list[Decision]:
    """A flag the policy excludes stops the alerting and stands down everyone sent; lifting it
    (when nothing else keeps the incident from alerting) starts or resumes the phases."""
    flags = tuple(dict.fromkeys(e.flags))
    if flags == s.flags:
        return []
    s.flags = flags
    out: list[Decision] = [Record(TimelineEvent.FLAGS_CHANGED, {"flags": list(flags)})]
    why = why_not_alerted(s)
    if s.status in (ALERTING, FILLED, EXHAUSTED) and why is not None and why[0] == NotAlertedReason.EXCLUDED_FLAG:
        return out + _stand_down_all(s, e.now, EXCLUDED) + _not_alerted(s, *why)
    if s.status == NOT_ALERTED and why is None:
        return out + _start_alerting(s, e.now, {"flags": list(flags)})
    if s.status == NOT_ALERTED and why is not None:
        s.reason, s.reason_code = why[1], why[0]
    return out


def _ambulance_eta_changed(s: IncidentState, e: AmbulanceEtaChanged) -> list[Decision]:
    """Later phases and replacements compare against the crew's new ETA; alerts already sent stand."""
    s.ambulance_due_at = e.now + e.eta_s
    return [Record(TimelineEvent.AMBULANCE_ETA, {"ambulance_eta_s": e.eta_s})]


def _replacement_due(s: IncidentState, e: ReplacementDue) -> list[Decision]:
    """Each decline or silence (oldest first) passes to the next nearest eligible responder within
    the current phase's radius; one with no one left to pass to is recorded and not sought again."""
    waiting = s.to_replace(e.now)
    if not waiting:
        return []
    index = s.phases_fired - 1
    phase = s.phases[index]
    allowed = set(allowed_groups(phase.groups, s.location_type, e.private_ok))
    chosen, out = choose(s, phase, e.candidates, allowed, e.now, limit=len(waiting))
    for old, c in zip(waiting, chosen + [None] * (len(waiting) - len(chosen)), strict=True):
        old.replaced = True
        s.changed.add(old.responder_id)
        why = "no_answer" if old.state == ALERTED else old.state
        if c is None:
            out.append(Record(TimelineEvent.NO_REPLACEMENT, {"replaces": old.responder_id, "reason": why}))
            continue
        new = alert_for(s, c, index, e.now)
        out += [
            SendAlert(new),
            Record(
                TimelineEvent.REPLACEMENT_ALERTED,
                {"responder": c.responder_id, "replaces": old.responder_id, "reason": why, "phase": phase.name},
            ),
        ]
    return out + _maybe_exhausted(s, e.now)


def _stand_down_all(s: IncidentState, now: float, reason: str) -> list[Decision]:
    """Everyone still involved hears it, those already on scene too: a phone must not keep saying
    "on scene" after the CAD has cancelled or closed the call."""
    out: list[Decision] = []
    for alert in s.alerts.values():
        if alert.state in (ALERTED, ACCEPTED, ARRIVED):
            _end(s, alert, STOOD_DOWN, now)
            out.append(SendStandDown(alert.responder_id, alert.alert_id, reason))
    return out


def _cancelled(s: IncidentState, e: Cancelled) -> list[Decision]:
    if s.status in ENDED_STATUSES:
        return []
    s.status = CANCELLED
    out = _stand_down_all(s, e.now, "cancelled")
    return out + [
        NotifyCad(CadEvent.INCIDENT_STOOD_DOWN),
        Record(TimelineEvent.INCIDENT_CANCELLED, {"reason": e.reason, **({"by": e.by} if e.by else {})}),
    ]


def _closed(s: IncidentState, e: Closed) -> list[Decision]:
    if s.status in ENDED_STATUSES:
        return []
    s.status = CLOSED
    return _stand_down_all(s, e.now, "closed") + [Record(TimelineEvent.INCIDENT_CLOSED, {})]


def _alert_expired(s: IncidentState, e: AlertExpired) -> list[Decision]:
    if s.status == AWAITING_CONFIRMATION:  # nothing alerted yet: only its wait can end
        return unconfirmed(s, e.now)
    out: list[Decision] = []
    for alert in s.alerts.values():
        if e.responder_id not in (None, alert.responder_id):
            continue
        if alert.state == ALERTED and alert.expires_at <= e.now:
            _end(s, alert, EXPIRED, e.now)
            out += [
                SendStandDown(alert.responder_id, alert.alert_id, "expired"),
                Record(TimelineEvent.ALERT_EXPIRED, {"responder": alert.responder_id}),
            ]
    return out + _maybe_exhausted(s, e.now)


def _withdrawn(s: IncidentState, e: Withdrawn) -> list[Decision]:
    """A filled incident stays filled: the dispatcher sees who was withdrawn and may alert by hand."""
    alert = s.alerts.get(e.responder_id)
    if alert is None or alert.state not in (ALERTED, *ASSIGNED_STATES):
        return []
    was = alert.state
    _end(s, alert, STOOD_DOWN, e.now)
    out: list[Decision] = [
        SendStandDown(e.responder_id, alert.alert_id, WITHDRAWN),
        Record(TimelineEvent.RESPONDER_WITHDRAWN, {"responder": e.responder_id, "was": was}),
    ]
    return out + _maybe_exhausted(s, e.now)


def _end(s: IncidentState, alert: AlertRecord, state: AlertState, now: float) -> None:
    alert.state, alert.ended_at = state, now
    s.changed.add(alert.responder_id)
