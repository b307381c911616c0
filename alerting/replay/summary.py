"""The numbers a trust compares, current policy against draft, and the table that prints them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from alerting.replay.engine import Outcome

DAYS_PER_MONTH = 30.0


@dataclass(frozen=True, slots=True)
class Summary:
    incidents: int  # incidents in the period
    alerting: int  # of which the policy's categories alert for
    with_responder: int  # at least one responder expected to be alerted
    expected_accepted: float  # expected incidents where someone accepts (sum of P(>=1 accepts))
    median_arrival_s: float | None  # over incidents with at least one expected responder
    p90_arrival_s: float | None
    expected_alerts: float
    responders: int  # responders in the policy's groups
    alerts_per_responder_month: float

    def as_dict(self) -> dict[str, float | int | None]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def arrivals(outcomes: Sequence[Outcome]) -> list[float]:
    """Expected first arrival of every incident with at least one expected responder."""
    return [o.arrival_s for o in outcomes if o.expected_alerts >= 1 and o.arrival_s is not None]


def summarise(outcomes: Sequence[Outcome], *, responders: int, period_days: float) -> Summary:
    times = arrivals(outcomes)
    alerts = sum(o.expected_alerts for o in outcomes)
    per_month = alerts / responders * DAYS_PER_MONTH / period_days if responders and period_days > 0 else 0.0
    return Summary(
        incidents=len(outcomes),
        alerting=sum(o.alerting for o in outcomes),
        with_responder=sum(o.expected_alerts >= 1 for o in outcomes),
        expected_accepted=sum(o.p_accept for o in outcomes),
        median_arrival_s=float(np.percentile(times, 50)) if times else None,
        p90_arrival_s=float(np.percentile(times, 90)) if times else None,
        expected_alerts=alerts,
        responders=responders,
        alerts_per_responder_month=per_month,
    )


_ROWS = (
    ("incidents in period", "incidents", "{:d}"),
    ("incidents alerting", "alerting", "{:d}"),
    ("incidents with >=1 expected responder", "with_responder", "{:d}"),
    ("expected incidents accepted", "expected_accepted", "{:.1f}"),
    ("median expected arrival (s)", "median_arrival_s", "{:.0f}"),
    ("p90 expected arrival (s)", "p90_arrival_s", "{:.0f}"),
    ("expected alerts", "expected_alerts", "{:.1f}"),
    ("responders in policy groups", "responders", "{:d}"),
    ("alerts per responder per month", "alerts_per_responder_month", "{:.2f}"),
)


def table(current: dict, draft: dict) -> str:
    """Plain text, current beside draft, from the same dicts the API returns."""

    def cell(fmt: str, value) -> str:
        return "-" if value is None else fmt.format(value)

    width = max(len(label) for label, _, _ in _ROWS)
    lines = [f"{'':<{width}}  {'current':>10}  {'draft':>10}"]
    for label, key, fmt in _ROWS:
        lines.append(f"{label:<{width}}  {cell(fmt, current[key]):>10}  {cell(fmt, draft[key]):>10}")
    return "\n".join(lines)
