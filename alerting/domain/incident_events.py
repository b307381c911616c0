"""What the incident machine hears (events) and what it answers (decisions): plain values.

Every event carries its own time; no decision performs I/O. `incident.handle` maps one to the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerting.domain.eligibility import Candidate
from alerting.domain.incident_state import AedInfo, AlertRecord
from alerting.domain.vocabulary import (
    AssignmentRole,
    CadEvent,
    DeclineReason,
    ErrorCode,
    SceneStatus,
    TimelineEvent,
)

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
    reason: DeclineReason | None = None  # the responder's one-tap reason, if they gave one


@dataclass(frozen=True, slots=True)
class Arrived:
    responder_id: str
    now: float


@dataclass(frozen=True, slots=True)
class StatusReported:
    """An assigned responder's status from the scene."""

    responder_id: str
    status: SceneStatus
    now: float


@dataclass(frozen=True, slots=True)
class EtaReported:
    """An assigned responder's ETA from their latest position, already judged worth telling the CAD
    (`incident_tracking.eta_report_due`)."""

    responder_id: str
    eta_s: int
    distance_m: float
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
class FlagsChanged:
    """The CAD's flags for the scene, as a whole: an excluded one stops the alerting."""

    flags: tuple[str, ...]
    now: float


@dataclass(frozen=True, slots=True)
class AmbulanceEtaChanged:
    eta_s: float
    now: float


@dataclass(frozen=True, slots=True)
class ReplacementDue:
    """Candidates within the current phase's radius, for the declines and silences in `to_replace`."""

    now: float
    candidates: Sequence[Candidate]
    private_ok: Mapping[str, bool]


@dataclass(frozen=True, slots=True)
class Cancelled:
    reason: str
    now: float
    by: str | None = None  # who cancelled, in words, when a person did


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


@dataclass(frozen=True, slots=True)
class AlertedByHand:
    """A dispatcher alerts one named responder: the eligibility of a phase, without its radius.

    `candidate` is None when the trust has no such responder; `available` is their duty switch and
    `position_at` when their app last reported a position (None: never, or Redis has none)."""

    responder_id: str
    name: str  # the responder's name, for the refusal's words
    candidate: Candidate | None
    available: bool
    position_at: float | None
    now: float
    private_ok: Mapping[str, bool]
    by: str  # who acted, in words, for the timeline


@dataclass(frozen=True, slots=True)
class Escalated:
    """Fire the next phase now, ahead of its delay. With `phase`, only if that is the next one, so a
    repeated click or a retried request cannot fire two phases."""

    now: float
    candidates: Sequence[Candidate]
    private_ok: Mapping[str, bool]
    by: str
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class ControlMessage:
    """The control room's text to everyone alerted or assigned, and to the alerter who raised the
    incident (`alerter`: there is one, so a message is heard even before anyone is alerted)."""

    text: str
    now: float
    by: str
    alerter: bool = False


@dataclass(frozen=True, slots=True)
class ResponderMessage:
    """A responder's text to the control room (and the CAD)."""

    responder_id: str
    text: str
    now: float


@dataclass(frozen=True, slots=True)
class AlerterMessage:
    """The alerter's text to the responders coming and to the control room (and the CAD)."""

    text: str
    now: float


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A dispatcher (or the CAD) confirms an alert an alerter raised: its phase starts now."""

    now: float
    by: str


@dataclass(frozen=True, slots=True)
class Adopted:
    """The CAD takes a raised alert as its own incident, under its own reference; one still
    awaiting confirmation is confirmed by it."""

    cad_ref: str
    now: float
    by: str


WITHDRAWN = "withdrawn"  # the stand-down reason for a suspended or erased responder
EXCLUDED = "excluded"  # the stand-down reason when the CAD flags the scene as one the policy keeps volunteers from


Event = (
    Reported
    | PhaseDue
    | Accepted
    | Declined
    | Arrived
    | StatusReported
    | EtaReported
    | Delivered
    | Moved
    | Recategorised
    | FlagsChanged
    | AmbulanceEtaChanged
    | ReplacementDue
    | Cancelled
    | Closed
    | AlertExpired
    | Withdrawn
    | AlertedByHand
    | Escalated
    | ControlMessage
    | ResponderMessage
    | AlerterMessage
    | Confirmed
    | Adopted
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
class SendDeclined:
    """Tells every device of a responder that their decline is recorded, wherever it was made (a
    notification's Decline action answers over HTTP while the app may be open and ringing)."""

    responder_id: str
    alert_id: str
    reason: DeclineReason | None = None


@dataclass(frozen=True, slots=True)
class NotifyCad:
    event: CadEvent
    responder_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # more fields of the webhook's body


@dataclass(frozen=True, slots=True)
class SendMessage:
    """A `message` frame to one responder, about their alert, from the control room or the alerter."""

    responder_id: str
    alert_id: str
    text: str
    at: float
    sender: str = "control"  # MessageFrom


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


Decision = SendAlert | SendAssigned | SendStandDown | SendDeclined | SendMessage | NotifyCad | Record | Reject
