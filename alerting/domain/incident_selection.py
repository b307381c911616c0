"""Who an incident alerts: the nearest eligible within a phase's radius, the ambulance rule, and
whether the policy alerts anyone for it at all. Pure, like the machine that calls it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerting.domain.categories import category_matches
from alerting.domain.eligibility import REPORTED_SKIPS, Candidate, skip_reason
from alerting.domain.incident_events import Decision, Record
from alerting.domain.incident_state import AlertRecord, IncidentState, alert_id_for
from alerting.domain.policy import Phase
from alerting.domain.vocabulary import IncidentSource, NotAlertedReason, TimelineEvent


def why_not_alerted(s: IncidentState) -> tuple[NotAlertedReason, str] | None:
    """Why the policy alerts no one for this incident as it stands, or None when it alerts."""
    if not s.phases:
        return NotAlertedReason.NO_POLICY, "the trust has no alerting policy"
    excluded = [f for f in s.flags if f in s.policy.exclude_flags]
    if excluded:
        words = ", ".join(f.replace("_", " ") for f in excluded)
        return NotAlertedReason.EXCLUDED_FLAG, f"the policy does not send volunteers to incidents flagged {words}"
    if s.source != IncidentSource.ALERTER and not category_matches(s.category, s.policy.categories):
        return NotAlertedReason.CATEGORY_NOT_LISTED, f"category {s.category!r} is not alerted by the policy"
    return None


def choose(
    s: IncidentState, phase: Phase, candidates: Sequence[Candidate], allowed: set[str], now: float, *, limit: int | None
) -> tuple[list[Candidate], list[Decision]]:
    """The nearest eligible candidates within the phase's radius (at most `limit`), and a timeline
    line for each one passed over for a reason the trust wants to see."""
    out: list[Decision] = []
    chosen: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (c.distance_m, c.responder_id)):
        if c.distance_m > phase.radius_m or (limit is not None and len(chosen) >= limit):
            continue
        reason = skip_reason(
            c, allowed=allowed, already_alerted=s.alerts.keys(), max_alerts_per_hour=s.policy.max_alerts_per_hour
        ) or slower_than_ambulance(s, c, now)
        if reason is None:
            chosen.append(c)
        elif reason in REPORTED_SKIPS:
            record: dict[str, Any] = {"responder": c.responder_id, "reason": reason, "phase": phase.name}
            if reason == "slower_than_ambulance":
                record = {**record, "eta_s": c.eta_s, "ambulance_eta_s": s.ambulance_eta_s(now)}
            out.append(Record(TimelineEvent.RESPONDER_SKIPPED, record))
    return chosen, out


def ahead_of_ambulance_s(s: IncidentState, c: Candidate, now: float) -> float | None:
    crew = s.ambulance_eta_s(now)
    return None if crew is None or c.eta_s is None else round(crew - c.eta_s, 1)


def slower_than_ambulance(s: IncidentState, c: Candidate, now: float) -> str | None:
    """With `only_if_faster_than_ambulance`, a responder must be expected more than the margin before the crew."""
    ahead = ahead_of_ambulance_s(s, c, now)
    if not s.policy.only_if_faster_than_ambulance or ahead is None or ahead > s.policy.ambulance_margin_s:
        return None
    return "slower_than_ambulance"


def alert_for(s: IncidentState, c: Candidate, phase: int, now: float) -> AlertRecord:
    alert = AlertRecord(
        alert_id=alert_id_for(s.id, c.responder_id),
        responder_id=c.responder_id,
        phase=phase,
        distance_m=round(c.distance_m, 1),
        alerted_at=now,
        expires_at=now + s.policy.alert_ttl_s,
        ahead_of_ambulance_s=ahead_of_ambulance_s(s, c, now),
    )
    s.alerts[c.responder_id] = alert
    s.changed.add(c.responder_id)
    return alert
