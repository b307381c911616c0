"""Who may be alerted by a phase: the contract's eligibility rules in one place."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from alerting.domain.report import LocationType


@dataclass(frozen=True, slots=True)
class Candidate:
    """A responder the live index found near an incident, with what SQL knows about them now."""

    responder_id: str
    distance_m: float
    groups: tuple[str, ...]
    active: bool = True
    busy: bool = False  # assigned to another open incident
    alerts_last_hour: int = 0
    quiet: bool = False  # inside their own quiet hours at this moment
    off_schedule: bool = False  # outside the on-duty hours they set (none set: never)
    credentials_ok: bool = True  # holds a verified, unexpired credential of every kind the trust requires
    unreadable: bool = False  # their stored record could not be evaluated (e.g. an unknown time zone)
    eta_s: float | None = None  # expected travel time to the scene, from their travel mode


# Reasons worth a line in the incident timeline: the trust wants to know who was passed over and why.
REPORTED_SKIPS = frozenset(
    {
        "credential_expired",
        "busy",
        "quiet_hours",
        "off_schedule",
        "fatigue_limit",
        "unreadable_record",
        "slower_than_ambulance",
    }
)


def allowed_groups(
    phase_groups: Sequence[str], location_type: LocationType, private_ok: Mapping[str, bool]
) -> tuple[str, ...]:
    """Groups of a phase that may be sent to this location; `unknown` is treated as private."""
    if location_type == "public":
        return tuple(phase_groups)
    return tuple(g for g in phase_groups if private_ok.get(g, False))


def skip_reason(
    candidate: Candidate,
    *,
    allowed: Collection[str],
    already_alerted: Collection[str],
    max_alerts_per_hour: int | None,
) -> str | None:
    """None when the candidate may be alerted, else the first rule that excludes them."""
    if candidate.responder_id in already_alerted:
        return "already_alerted"
    if candidate.unreadable:
        return "unreadable_record"
    if not candidate.active:
        return "suspended"
    if not any(g in allowed for g in candidate.groups):
        return "not_in_phase_groups"
    if not candidate.credentials_ok:
        return "credential_expired"  # expired, missing or not yet verified: renewing is the remedy
    if candidate.busy:
        return "busy"
    if candidate.quiet:
        return "quiet_hours"
    if candidate.off_schedule:
        return "off_schedule"
    if max_alerts_per_hour is not None and candidate.alerts_last_hour >= max_alerts_per_hour:
        return "fatigue_limit"
    return None
