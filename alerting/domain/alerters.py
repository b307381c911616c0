"""Alerters: bystanders who raise the alarm. Pure: the policy's `alerter` section read into a value,
the one phase a raised alert runs, and the limits against misuse.

A raised alert is an ordinary incident whose phases are this one phase, so the phase machinery
(eligibility, the nearest first, the accept referee, expiry, webhooks) is the one every incident
runs; only where its phase comes from differs.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerting.domain.alerter_rules import AlerterRules
from alerting.domain.policy import Phase

__all__ = [
    "ALERTER_CATEGORY",
    "RAISED_LABEL",
    "DAY_S",
    "OPEN_ALERT_RETRY_S",
    "alerter_phase",
    "daily_retry_after_s",
    "phases_for",
]

PHASE_NAME = "alerter"
ALERTER_CATEGORY = "alerter"  # a raised alert's category: no CAD has coded it yet
RAISED_LABEL = "Cardiac arrest reported by a bystander"  # its words, unless the trust labels `alerter`
DAY_S = 86_400.0  # `max_per_day` counts raises in any 24 hours, not since midnight
OPEN_ALERT_RETRY_S = 60  # Retry-After for a second raise while the first is still open


def alerter_phase(rules: AlerterRules, trust_phases: Sequence[Phase]) -> Phase | None:
    """The one phase of a raised alert: the section's radius, its groups or else the groups of the
    trust's first phase; None when there are no groups to alert at all."""
    groups = rules.groups or (trust_phases[0].groups if trust_phases else ())
    if not groups:
        return None
    return Phase(PHASE_NAME, tuple(groups), rules.radius_m, 0.0)


def phases_for(rules: AlerterRules, trust_phases: Sequence[Phase]) -> tuple[Phase, ...]:
    phase = alerter_phase(rules, trust_phases)
    return (phase,) if phase else ()


def daily_retry_after_s(raised_at: Sequence[float], *, max_per_day: int, now: float) -> int | None:
    """Seconds until this alerter may raise again under `max_per_day`, or None when they may now.
    `raised_at` are the times of their raises in the last 24 hours."""
    recent = sorted(t for t in raised_at if t > now - DAY_S)
    if len(recent) < max_per_day:
        return None
    frees_at = recent[len(recent) - max_per_day] + DAY_S  # when enough of them have left the window
    return max(1, int(frees_at - now + 0.999))
