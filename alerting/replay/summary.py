"""The numbers a trust compares, current policy against draft, and the table that prints them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from alerting.replay.engine import Outcome

DAYS_PER_MONTH = 30.0


@dataclass(frozen=True, slots=True)
class Summary:
    incidents: int  # incidents in the period
    alerting: int  # of which the policy's categories alert for
    with_responder: float  # expected incidents where at least one responder is alerted (sum of P(>=1))
    expected_accepted: float  # expected incidents where someone accepts (sum of P(>=1 accepts))
    median_arrival_s: float | None  # over incidents someone can reach, each weighted by P(>=1 accepts)
    p90_arrival_s: float | None
    expected_alerts: float
    responders: int  # responders in the policy's groups
    alerts_per_responder_month: float

    def as_dict(self) -> dict[str, float | int | None]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def arrivals(outcomes: Sequence[Outcome]) -> list[float]:
    """Expected first arrival of every incident someone could reach."""
    return [o.arrival_s for o in outcomes if o.arrival_s is not None]


def weighted_percentile(values: Sequence[float], weights: Sequence[float], q: float) -> float | None:
    """The value below which a share `q` of the total weight lies (the lower value at an exact tie)."""
    pairs = sorted((v, w) for v, w in zip(values, weights, strict=True) if w > 0)
    total = sum(w for _, w in pairs)
    if not pairs or total <= 0:
        return None
    seen = 0.0
    for value, weight in pairs:
        seen += weight
        if seen >= q * total * (1 - 1e-12):
            return value
    return pairs[-1][0]


def summarise(outcomes: Sequence[Outcome], *, responders: int, period_days: float) -> Summary:
    """Every count is an expectation summed over incidents, never a threshold on one: an incident with
    a 40% chance of an alert counts 0.4, so sparse cover and small radius changes still show.
    Arrival times are weighted by each incident's chance that someone accepts, so an incident nobody
    is likely to reach does not set the median."""
    reached = [o for o in outcomes if o.arrival_s is not None]
    times = [o.arrival_s for o in reached if o.arrival_s is not None]
    weights = [o.p_accept for o in reached]
    alerts = sum(o.expected_alerts for o in outcomes)
    per_month = alerts / responders * DAYS_PER_MONTH / period_days if responders and period_days > 0 else 0.0
    return Summary(
        incidents=len(outcomes),
        alerting=sum(o.alerting for o in outcomes),
        with_responder=sum(o.p_alerted for o in outcomes),
        expected_accepted=sum(o.p_accept for o in outcomes),
        median_arrival_s=weighted_percentile(times, weights, 0.5),
        p90_arrival_s=weighted_percentile(times, weights, 0.9),
        expected_alerts=alerts,
        responders=responders,
        alerts_per_responder_month=per_month,
    )


def by_phase(outcomes: Sequence[Outcome]) -> list[dict[str, float | str]]:
    """Expected alerts and accepts per phase name, in the order phases first appear: where a change
    to one phase's radius or delay acts even when the totals barely move."""
    rows: dict[str, list[float]] = {}
    for o in outcomes:
        for p in o.phases:
            row = rows.setdefault(p.name, [0.0, 0.0])
            row[0] += p.alerted
            row[1] += p.fired_accepts
    return [{"name": n, "expected_alerts": round(a, 3), "expected_accepts": round(c, 3)} for n, (a, c) in rows.items()]


_ROWS = (
    ("incidents in period", "incidents", "{:d}"),
    ("incidents alerting", "alerting", "{:d}"),
    ("expected incidents with a responder alerted", "with_responder", "{:.1f}"),
    ("expected incidents accepted", "expected_accepted", "{:.1f}"),
    ("median first arrival (s), weighted", "median_arrival_s", "{:.0f}"),
    ("90th percentile first arrival (s)", "p90_arrival_s", "{:.0f}"),
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
