"""Firing a phase and noticing that alerting is over: shared by the timers and by a dispatcher who
fires the next phase early. Pure, like the machine that calls it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alerting.domain.eligibility import Candidate, allowed_groups
from alerting.domain.incident_events import Decision, NotifyCad, Record, SendAlert
from alerting.domain.incident_selection import alert_for, choose
from alerting.domain.incident_state import ALERTED, ALERTING, EXHAUSTED, IncidentState
from alerting.domain.vocabulary import CadEvent, TimelineEvent


def fire_phase(
    s: IncidentState, index: int, candidates: Sequence[Candidate], private_ok: Mapping[str, bool], now: float
) -> list[Decision]:
    """Alert the nearest eligible of phase `index` (the next one; the caller has checked) and record it."""
    phase = s.phases[index]
    allowed = set(allowed_groups(phase.groups, s.location_type, private_ok))
    chosen, out = choose(s, phase, candidates, allowed, now, limit=phase.max_alerts)
    s.phases_fired += 1
    first_alerts = not s.alerts and bool(chosen)
    for c in chosen:
        out.append(SendAlert(alert_for(s, c, index, now)))
    out.append(
        Record(
            TimelineEvent.PHASE_FIRED,
            {
                "phase": phase.name,
                "index": index,
                "radius_m": phase.radius_m,
                "groups": sorted(allowed),
                "alerted": [c.responder_id for c in chosen],
            },
        )
    )
    if first_alerts:
        out.append(NotifyCad(CadEvent.INCIDENT_ALERTING))
    return out + maybe_exhausted(s, now)


def maybe_exhausted(s: IncidentState, now: float) -> list[Decision]:
    if s.status != ALERTING or s.assigned():
        return []
    if s.started_at is None:
        done = now >= s.created_at + s.policy.alert_ttl_s
    else:
        done = (
            s.phases_fired == len(s.phases)
            and not any(a.state == ALERTED for a in s.alerts.values())
            and not s.to_replace(now)
        )
    if not done:
        return []
    s.status = EXHAUSTED
    return [
        NotifyCad(CadEvent.INCIDENT_EXHAUSTED),
        Record(TimelineEvent.INCIDENT_EXHAUSTED, {"alerted": len(s.alerts)}),
    ]
