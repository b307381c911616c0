"""What the incident machine remembers between events: the incident, its alerts, and the rules it
was reported under. Loaded and saved by the service layer; changed only by `incident.handle`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from alerting.domain.policy import Phase, Policy
from alerting.domain.report import LocationType
from alerting.domain.vocabulary import AlertState, AssignmentRole, IncidentSource, IncidentStatus, NotAlertedReason

# Short names for the members, as the machine and its callers read them.
ALERTING, FILLED, EXHAUSTED, NOT_ALERTED = (
    IncidentStatus.ALERTING,
    IncidentStatus.FILLED,
    IncidentStatus.EXHAUSTED,
    IncidentStatus.NOT_ALERTED,
)
CANCELLED, CLOSED = IncidentStatus.CANCELLED, IncidentStatus.CLOSED
AWAITING_CONFIRMATION = IncidentStatus.AWAITING_CONFIRMATION
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
    opening_hours: str | None = None  # as the register gives them (OpenStreetMap syntax); open when chosen


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
    ahead_of_ambulance_s: float | None = None  # expected lead over the crew when alerted, if the CAD gave its ETA
    replaced: bool = False  # a replacement was sought for this decline or silence (policy `replace_declined`)
    statuses: dict[str, float] = field(default_factory=dict)  # SceneStatus -> when first reported
    decline_reason: str | None = None  # DeclineReason, when they declined and said why


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
    started_at: float | None = None  # when alerting began; None while the policy alerts no one for it
    phases_fired: int = 0
    alerts: dict[str, AlertRecord] = field(default_factory=dict)
    aed: AedInfo | None = None
    flags: tuple[str, ...] = ()
    ambulance_due_at: float | None = None  # when the CAD expects its crew on scene
    reason: str | None = None  # words: why the policy alerts no one (status `not_alerted`)
    reason_code: NotAlertedReason | None = None
    source: IncidentSource = IncidentSource.CAD
    alerter_id: str | None = None  # the alerter who raised it (source `alerter`)
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

    def ambulance_eta_s(self, now: float) -> float | None:
        """How long the crew still needs, as the CAD last told it."""
        return None if self.ambulance_due_at is None else max(0.0, self.ambulance_due_at - now)

    def unanswered_by(self, alert: AlertRecord) -> float:
        """When an alert left unanswered is replaced."""
        return alert.alerted_at + self.policy.answer_s

    def to_replace(self, now: float) -> list[AlertRecord]:
        """Declines and silences still waiting for a replacement, oldest first (policy `replace_declined`)."""
        if not self.policy.replace_declined or self.status != ALERTING or not self.phases_fired:
            return []
        waiting = [
            a
            for a in self.alerts.values()
            if not a.replaced
            and (a.state in (DECLINED, EXPIRED) or (a.state == ALERTED and self.unanswered_by(a) <= now))
        ]
        return sorted(waiting, key=lambda a: (a.alerted_at, a.distance_m, a.responder_id))

    def wake_at(self) -> float | None:
        """When something may next happen without outside input: a phase, an expiry, a silence,
        exhaustion; for a raised alarm held for a dispatcher, the end of its wait."""
        if self.status == AWAITING_CONFIRMATION:
            return confirm_due_at(self)
        if self.status != ALERTING:
            return None
        if self.started_at is None:
            return self.created_at + self.policy.alert_ttl_s
        times = [a.expires_at for a in self.alerts.values() if a.state == ALERTED]
        if self.policy.replace_declined:
            times += [self.unanswered_by(a) for a in self.alerts.values() if a.state == ALERTED and not a.replaced]
        nxt = self.next_phase()
        if nxt is not None:
            times.append(max(self.started_at + nxt.delay_s, self.phases_held_until or 0.0))
        return min(times) if times else None

    def hold_phases(self, until: float) -> None:
        """Due phases wait (the responders' positions are being written back): try again at `until`."""
        self.phases_held_until = until


def confirm_due_at(s: IncidentState) -> float | None:
    """When a raised alarm held for a dispatcher is closed unconfirmed (None: it is not held)."""
    if s.status != AWAITING_CONFIRMATION:
        return None
    return s.created_at + s.policy.alerter.confirm_timeout_s
