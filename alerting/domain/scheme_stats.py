"""The numbers a trust reports about its scheme, from plain rows of incidents and alerts. Pure: no I/O.

Every time is measured from the moment the incident reached the platform. Percentiles are by the
nearest-rank rule (the smallest value with at least that share of values at or below it), so each
one is a time that really happened, and a reader can check it by sorting a column.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alerting.domain.vocabulary import DeclineReason

NO_REASON = "none_given"


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: str
    created_at: datetime
    ambulance_arrived_at: datetime | None


@dataclass(frozen=True, slots=True)
class AlertRow:
    incident_id: str
    state: str
    accepted_at: datetime | None
    arrived_at: datetime | None
    decline_reason: str | None


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _times(values: list[float]) -> dict[str, float | int | None]:
    p50, p90 = nearest_rank(values, 0.5), nearest_rank(values, 0.9)
    return {
        "count": len(values),
        "p50": None if p50 is None else round(p50, 1),
        "p90": None if p90 is None else round(p90, 1),
    }


def _day(at: datetime) -> str:
    return at.date().isoformat()


def compute(
    incidents: Iterable[IncidentRow],
    alerts: Iterable[AlertRow],
    *,
    expiring: Mapping[str, int],
    expiring_by_week: Mapping[str, int],
) -> dict[str, Any]:
    """`alerts` are those of the incidents given (already narrowed to a group, if any); `expiring`
    counts credentials running out soon by kind; `expiring_by_week` by the Monday of their week."""
    by_id = {i.id: i for i in incidents}
    of: dict[str, list[AlertRow]] = {i: [] for i in by_id}
    for a in alerts:
        if a.incident_id in of:
            of[a.incident_id].append(a)
    declines: dict[str, int] = {r.value: 0 for r in DeclineReason} | {NO_REASON: 0}
    to_accept: list[float] = []
    to_arrive: list[float] = []
    ambulance_known = responder_first = 0
    days: dict[str, dict[str, int]] = {}
    sent = accepted_alerts = 0
    for incident_id, incident in by_id.items():
        mine = of[incident_id]
        start = incident.created_at
        day = days.setdefault(_day(start), {"incidents": 0, "alerted": 0, "accepted": 0})
        day["incidents"] += 1
        sent += len(mine)
        accepts = [a.accepted_at for a in mine if a.accepted_at is not None]
        arrivals = [a.arrived_at for a in mine if a.arrived_at is not None]
        accepted_alerts += len(accepts)
        for a in mine:
            if a.state == "declined":
                reason = a.decline_reason if a.decline_reason in declines else NO_REASON
                declines[reason or NO_REASON] += 1
        if mine:
            day["alerted"] += 1
        if accepts:
            day["accepted"] += 1
            to_accept.append((min(accepts) - start).total_seconds())
        if arrivals:
            to_arrive.append((min(arrivals) - start).total_seconds())
        if incident.ambulance_arrived_at is not None:
            ambulance_known += 1
            if arrivals and min(arrivals) < incident.ambulance_arrived_at:
                responder_first += 1
    alerted = sum(1 for i in by_id if of[i])
    accepted = sum(1 for i in by_id if any(a.accepted_at is not None for a in of[i]))
    return {
        "incidents": len(by_id),
        "alerted": alerted,
        "accepted": accepted,
        "alerts": sent,
        "alerts_accepted": accepted_alerts,
        "acceptance_rate": round(accepted_alerts / sent, 4) if sent else None,
        "time_to_first_accept_s": _times(to_accept),
        "time_to_arrive_s": _times(to_arrive),
        "ahead_of_ambulance": {
            "incidents_with_ambulance_arrival": ambulance_known,
            "responder_first": responder_first,
            "share": round(responder_first / ambulance_known, 4) if ambulance_known else None,
        },
        "declines_by_reason": declines,
        "credential_expiries": {
            "total": sum(expiring.values()),
            "by_kind": dict(sorted(expiring.items())),
            "by_week": dict(sorted(expiring_by_week.items())),
        },
        "by_day": [{"date": d, **v} for d, v in sorted(days.items())],
    }


def week_of(day: date) -> str:
    """The Monday of the day's week, as a date: how expiries are grouped."""
    return date.fromordinal(day.toordinal() - day.weekday()).isoformat()


def as_csv(report: Mapping[str, Any]) -> str:
    """One `measure,value` row per number, nested names joined with dots, then the days as a table:
    the same numbers as the JSON, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["measure", "value"])

    def flat(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                flat(f"{prefix}.{k}" if prefix else str(k), v)
        elif not isinstance(value, list):
            writer.writerow([prefix, "" if value is None else value])

    flat("", {k: v for k, v in report.items() if k != "by_day"})
    writer.writerow([])
    writer.writerow(["date", "incidents", "alerted", "accepted"])
    for d in report.get("by_day", []):
        writer.writerow([d["date"], d["incidents"], d["alerted"], d["accepted"]])
    return out.getvalue()
