"""The incident state machine: events in, decisions out, no I/O and no clock.

Like a sans-I/O protocol object: the caller loads an `IncidentState`, calls `handle(state, event)`,
persists the state and carries out the returned decisions (send frames, tell the CAD, write the
timeline). Time arrives inside each event. Every rule about phases, categories, eligibility,
assignment and statuses is decided here and nowhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, assert_never

from alerting.domain.categories import category_matches
from alerting.domain.eligibility import REPORTED_SKIPS, Candidate, allowed_groups, skip_reason
from alerting.domain.policy import Phase, Policy
from alerting.domain.report import LocationType
from alerting.domain.vocabulary import AlertState, AssignmentRole, CadEvent, ErrorCode, IncidentStatus, TimelineEvent

# Short names for the members, as the machine and its callers read them.
ALERTING, FILLED, EXHAUSTED, CANCELLED, CLOSED = IncidentStatus
OPEN_STATUSES = frozenset({ALERTING, FILLED})  # an assignment to these makes a responder busy
ENDED_STATUSES = frozenset({CANCELLED, CLOSED})
ALERTED, ACCEPTED, DECLINED, ARRIVED, STOOD_DOWN, EXPIRED = AlertState
ASSIGNED_STATES = frozenset({ACCEPTED, ARRIVED})
_ALERT_NAMESPACE = uuid.UUID("6f1c7a52-3a8e-4f0e-9d0b-6a2f3e8c1d11")


def alert_id_for(incident_id: str, responder_id: str) -> str:
    """Deterministic, so firing a phase twice cannot mint a second alert for the same person."""
    return uuid.uuid5(_ALERT_NAMESPACE, f"{incident_id}\x00{responder_id}").hex


@dataclass(slots=True)
class AedInfo:
    id: str
    name: str | None
    access: str | None
    lat: float
    lon: float
    distance_m: float  # from the incident


@dataclass(slots=True)
class AlertRecord:
    alert_id: str
    responder_id: str
    phase: int
    distance_m: float
    alerted_at: float
    expires_at: float
    state: AlertState = ALERTED
    delivered_at: float | None = None
    accepted_at: float | None = None
    arrived_at: float | None = None
    ended_at: float | None = None
    role: AssignmentRole | None = None


@dataclass(slots=True)
class IncidentState:
    id: str
    cad_ref: str
    lat: float
    lon: float
    category: str
    location_type: LocationType
    created_at: float
    policy: Policy
    policy_version: int | None = None
    status: IncidentStatus = ALERTING
    phases: tuple[Phase, ...] = ()
    accept_limit: int = 1
    zone: str | None = None
    started_at: float | None = None  # when alerting began; None while the category is not alerted
    phases_fired: int = 0
    alerts: dict[str, AlertRecord] = field(default_factory=dict)
    aed: AedInfo | None = None
    changed: set[str] = field(default_factory=set)  # responder ids whose alert changed: what to persist
    # The next phase may not fire before this (the live index is being rebuilt); not persisted: it
    # only moves this transition's wake-up, and the next one asks again.
    phases_held_until: float | None = None

    @property
    def phase_name(self) -> str | None:
        return self.phases[self.phases_fired - 1].name if self.phases_fired else None

    def assigned(self) -> list[AlertRecord]:
        return [a for a in self.alerts.values() if a.state in ASSIGNED_STATES]

    def due_phases(self, now: float) -> list[int]:
        """Indices of phases whose delay has passed and that have not fired, in firing order."""
        if self.status != ALERTING or self.started_at is None:
            return []
        return [
            i for i in range(self.phases_fired, len(self.phases)) if self.started_at + self.phases[i].delay_s <= now
        ]

    def next_phase(self) -> Phase | None:
        return self.phases[self.phases_fired] if self.phases_fired < len(self.phases) else None

    def wake_at(self) -> float | None:
        """When something may next happen without outside input: a phase, an expiry, exhaustion."""
        if self.status != ALERTING:
            return None
        if self.started_at is None:
            return self.created_at + self.policy.alert_ttl_s
        times = [a.expires_at for a in self.alerts.values() if a.state == ALERTED]
        nxt = self.next_phase()
        if nxt is not None:
            times.append(max(self.started_at + nxt.delay_s, self.phases_held_until or 0.0))
        return min(times) if times else None

    def hold_phases(self, until: float) -> None:
        """Due phases wait (the responders' positions are being written back): try again at `until`."""
        self.phases_held_until = until


# ---- events -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reported:
    now: float


@dataclass(frozen=True, slots=True)
class PhaseDue:
    index: int
    now: float
    candidates: Sequence[Candidate]
    private_ok: Mapping[str, bool]  # group id -> may be sent into private locations


@dataclass(frozen=True, slots=True)
class Accepted:
    responder_id: str
    now: float
    slot: int  # from the atomic accept script: 1..limit won; 0 lost, below 0 not open (see `accept_lost`)
    distance_to_aed_m: float | None = None  # from this responder to the incident's AED, if known
    carries_aed: bool = False  # this responder brings their own defibrillator
    aed_coming: bool = False  # someone already assigned brings one


@dataclass(frozen=True, slots=True)
class Declined:
    responder_id: str
    now: float


@dataclass(frozen=True, slots=True)
class Arrived:
    responder_id: str
    now: float


@dataclass(frozen=True, slots=True)
class Delivered:
    responder_id: str
    now: float


@dataclass(frozen=True, slots=True)
class Moved:
    lat: float
    lon: float
    now: float
    distances: Mapping[str, float]  # responder id -> new distance, for those still alerted or assigned
    aed: AedInfo | None = None


@dataclass(frozen=True, slots=True)
class Recategorised:
    category: str
    now: float


@dataclass(frozen=True, slots=True)
class Cancelled:
    reason: str
    now: float


@dataclass(frozen=True, slots=True)
class Closed:
    now: float


@dataclass(frozen=True, slots=True)
class AlertExpired:
    """Expire alerts whose TTL has passed: one responder's, or (responder_id None) every due one."""

    now: float
    responder_id: str | None = None


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The trust suspended or erased the responder: their alert ends at once, accepted or not."""

    responder_id: str
    now: float


WITHDRAWN = "withdrawn"  # the stand-down reason for a suspended or erased responder


Event = (
    Reported
    | PhaseDue
    | Accepted
    | Declined
    | Arrived
    | Delivered
    | Moved
    | Recategorised
    | Cancelled
    | Closed
    | AlertExpired
    | Withdrawn
)

# ---- decisions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendAlert:
    alert: AlertRecord
    resend: bool = False


@dataclass(frozen=True, slots=True)
class SendAssigned:
    responder_id: str
    alert_id: str
    role: AssignmentRole


@dataclass(frozen=True, slots=True)
class SendStandDown:
    responder_id: str
    alert_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class NotifyCad:
    event: CadEvent
    responder_id: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """A timeline entry."""

    event: TimelineEvent
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reject:
    """The action is refused and nothing changed; `code` is machine-readable."""

    code: ErrorCode
    detail: str


Decision = SendAlert | SendAssigned | SendStandDown | NotifyCad | Record | Reject

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
) -> IncidentState:
    return IncidentState(
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
        case Delivered():
            return _delivered(state, event)
        case Moved():
            return _moved(state, event)
        case Recategorised():
            return _recategorised(state, event)
        case Cancelled():
            return _cancelled(state, event)
        case Closed():
            return _closed(state, event)
        case AlertExpired():
            return _alert_expired(state, event)
        case Withdrawn():
            return _withdrawn(state, event)
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
            },
        )
    ]
    if not s.phases:
        out.append(Record(TimelineEvent.NOT_ALERTED, {"reason": "the trust has no alerting policy"}))
    elif category_matches(s.category, s.policy.categories):
        s.started_at = e.now
    else:
        out.append(
            Record(TimelineEvent.NOT_ALERTED, {"reason": f"category {s.category!r} is not alerted by the policy"})
        )
    return out


def _phase_due(s: IncidentState, e: PhaseDue) -> list[Decision]:
    if e.index != s.phases_fired or e.index not in s.due_phases(e.now):
        return []  # already fired, out of order, not yet due, or incident no longer alerting
    phase = s.phases[e.index]
    allowed = set(allowed_groups(phase.groups, s.location_type, e.private_ok))
    out: list[Decision] = []
    chosen: list[Candidate] = []
    for c in sorted(e.candidates, key=lambda c: (c.distance_m, c.responder_id)):
        if c.distance_m > phase.radius_m or (phase.max_alerts is not None and len(chosen) >= phase.max_alerts):
            continue
        reason = skip_reason(
            c, allowed=allowed, already_alerted=s.alerts.keys(), max_alerts_per_hour=s.policy.max_alerts_per_hour
        )
        if reason is None:
            chosen.append(c)
        elif reason in REPORTED_SKIPS:
            out.append(
                Record(
                    TimelineEvent.RESPONDER_SKIPPED,
                    {"responder": c.responder_id, "reason": reason, "phase": phase.name},
                )
            )
    s.phases_fired += 1
    first_alerts = not s.alerts and bool(chosen)
    for c in chosen:
        alert = AlertRecord(
            alert_id=alert_id_for(s.id, c.responder_id),
            responder_id=c.responder_id,
            phase=e.index,
            distance_m=round(c.distance_m, 1),
            alerted_at=e.now,
            expires_at=e.now + s.policy.alert_ttl_s,
        )
        s.alerts[c.responder_id] = alert
        s.changed.add(c.responder_id)
        out.append(SendAlert(alert))
    out.append(
        Record(
            TimelineEvent.PHASE_FIRED,
            {
                "phase": phase.name,
                "index": e.index,
                "radius_m": phase.radius_m,
                "groups": sorted(allowed),
                "alerted": [c.responder_id for c in chosen],
            },
        )
    )
    if first_alerts:
        out.append(NotifyCad(CadEvent.INCIDENT_ALERTING))
    out += _maybe_exhausted(s, e.now)
    return out


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
    out: list[Decision] = [
        NotifyCad(CadEvent.RESPONDER_DECLINED, e.responder_id),
        Record(TimelineEvent.RESPONDER_DECLINED, {"responder": e.responder_id}),
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
    if s.status == ALERTING and s.started_at is None and s.phases and category_matches(e.category, s.policy.categories):
        s.started_at = e.now
        out.append(Record(TimelineEvent.ALERTING_STARTED, {"category": e.category}))
    return out


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
        Record(TimelineEvent.INCIDENT_CANCELLED, {"reason": e.reason}),
    ]


def _closed(s: IncidentState, e: Closed) -> list[Decision]:
    if s.status in ENDED_STATUSES:
        return []
    s.status = CLOSED
    return _stand_down_all(s, e.now, "closed") + [Record(TimelineEvent.INCIDENT_CLOSED, {})]


def _alert_expired(s: IncidentState, e: AlertExpired) -> list[Decision]:
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


def _maybe_exhausted(s: IncidentState, now: float) -> list[Decision]:
    if s.status != ALERTING or s.assigned():
        return []
    if s.started_at is None:
        done = now >= s.created_at + s.policy.alert_ttl_s
    else:
        done = s.phases_fired == len(s.phases) and not any(a.state == ALERTED for a in s.alerts.values())
    if not done:
        return []
    s.status = EXHAUSTED
    return [
        NotifyCad(CadEvent.INCIDENT_EXHAUSTED),
        Record(TimelineEvent.INCIDENT_EXHAUSTED, {"alerted": len(s.alerts)}),
    ]


def _end(s: IncidentState, alert: AlertRecord, state: AlertState, now: float) -> None:
    alert.state, alert.ended_at = state, now
    s.changed.add(alert.responder_id)
