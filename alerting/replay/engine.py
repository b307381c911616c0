"""The replay engine: what a policy would have done to a set of past incidents. Pure: no I/O.

Per incident and per phase it estimates how many responders would be alerted (density x area of the
ring the phase adds, filtered by group and by the private-locations rule, capped by `max_alerts`),
how many of them would accept (per-group rates), the chance that at least one accepts, and the
expected time to the first arrival (distance x route factor / walking speed, with the nearest
acceptor's distance taken from the Poisson field).

Simplifications, stated so a trust can weigh the numbers: responders answer at once (a later phase
fires with the chance that fewer than `accept_limit` accepted before it); the busy, quiet-hours and
fatigue rules are not modelled (history counts only available responders); a responder whose
group set a phase allows is alerted at the mean acceptance of their groups.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from alerting.domain.categories import category_matches
from alerting.domain.eligibility import allowed_groups
from alerting.domain.policy import Phase, Policy
from alerting.replay.acceptance import rate_of
from alerting.replay.arrival import (
    Wave,
    expected_capped,
    expected_first_arrivals,
    poisson_below,
)
from alerting.replay.history import DensityHistory, hour_of_week
from geo.hexgrid import MEAN_CELL_AREA_M2, cell_of, rings_for_radius, split_key


@dataclass(frozen=True, slots=True)
class ReplayIncident:
    id: str
    lat: float
    lon: float
    category: str
    location_type: str  # public | private | unknown
    at: float  # unix seconds


@dataclass(frozen=True, slots=True)
class Model:
    """What the engine assumes beyond the policy: acceptance per group, which groups may enter homes,
    and the ETA model's speed and route factor."""

    acceptance: Mapping[str, float]
    private_ok: Mapping[str, bool]
    walking_speed_mps: float = 1.6
    route_factor: float = 1.3


@dataclass(frozen=True, slots=True)
class PhaseEstimate:
    name: str
    alerted: float  # expected alerts, weighted by the chance the phase fires at all
    acceptors: float  # expected acceptances if it fires
    fires: float = 1.0  # the chance it fires: fewer than `accept_limit` accepted before it

    @property
    def fired_accepts(self) -> float:
        return self.fires * self.acceptors


@dataclass(frozen=True, slots=True)
class Outcome:
    incident_id: str
    alerting: bool  # the category is one the policy alerts for
    phases: tuple[PhaseEstimate, ...]
    p_accept: float  # P(at least one responder accepts)
    arrival_s: float | None  # expected time to the first arrival, given someone arrives

    @property
    def expected_alerts(self) -> float:
        return sum(p.alerted for p in self.phases)

    @property
    def p_alerted(self) -> float:
        """P(at least one responder is alerted), the alerts taken as Poisson like the field they come from."""
        return 1.0 - math.exp(-self.expected_alerts)


@dataclass(slots=True)
class _Pool:
    """Who a phase could reach: expected eligible responders by group key, within its radius."""

    radius_m: float
    by_key: dict[str, float]
    density: dict[str, float]
    alerted: float = 0.0

    @property
    def size(self) -> float:
        return sum(self.by_key.values())


class _Rules:
    """Per-replay memo of the rules that depend only on a phase, a location type or a group key, so
    10,000 incidents do not recompute them 10,000 times."""

    def __init__(self, model: Model):
        self.model = model
        self._allowed: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}
        self._eligible: dict[tuple[frozenset[str], str], bool] = {}
        self._rate: dict[str, float] = {}

    def allowed(self, phase: Phase, location: str) -> frozenset[str]:
        key = (phase.groups, location)
        if key not in self._allowed:
            self._allowed[key] = frozenset(allowed_groups(phase.groups, location, self.model.private_ok))  # type: ignore[arg-type]
        return self._allowed[key]

    def eligible(self, allowed: frozenset[str], group_key: str) -> bool:
        key = (allowed, group_key)
        if key not in self._eligible:
            self._eligible[key] = not allowed.isdisjoint(split_key(group_key))
        return self._eligible[key]

    def rate(self, group_key: str) -> float:
        if group_key not in self._rate:
            self._rate[group_key] = rate_of(split_key(group_key), self.model.acceptance)
        return self._rate[group_key]


def _pool(phase: Phase, density: Mapping[str, float], allowed: frozenset[str], rules: _Rules) -> _Pool:
    area = math.pi * phase.radius_m**2
    keep = {k: d for k, d in density.items() if rules.eligible(allowed, k)}
    return _Pool(phase.radius_m, {k: d * area for k, d in keep.items()}, keep)


def _already_alerted(pool: _Pool, earlier: Sequence[_Pool]) -> float:
    """Of this phase's pool, how many earlier phases alerted: each earlier phase's alerts that fall
    in the group keys and the radius both share."""
    taken = 0.0
    for e in earlier:
        if e.alerted <= 0 or e.size <= 0:
            continue
        reach = math.pi * min(e.radius_m, pool.radius_m) ** 2
        shared = sum(d for k, d in e.density.items() if k in pool.by_key) * reach
        taken += e.alerted * min(1.0, shared / e.size)
    return min(taken, pool.size)


def _estimate(
    incident: ReplayIncident, policy: Policy, history: DensityHistory, rules: _Rules
) -> tuple[Outcome, list[Wave]]:
    """The outcome without its arrival time, and the acceptor waves that time is computed from."""
    if not policy.phases and not policy.zones or not category_matches(incident.category, policy.categories):
        return Outcome(incident.id, False, (), 0.0, None), []
    zone = policy.zone_for(incident.lat, incident.lon)
    phases = zone.phases if zone else policy.phases
    accept_limit = zone.accept_limit if zone and zone.accept_limit else policy.accept_limit
    how, cell = hour_of_week(incident.at), cell_of(incident.lat, incident.lon)
    location = incident.location_type if incident.location_type in ("public", "private") else "unknown"

    pools: list[_Pool] = []
    estimates: list[PhaseEstimate] = []
    waves: list[Wave] = []
    acceptors_so_far = 0.0
    for phase in phases:
        density = history.density(how, cell, rings_for_radius(phase.radius_m, MEAN_CELL_AREA_M2))
        pool = _pool(phase, density, rules.allowed(phase, location), rules)
        size = pool.size
        taken = _already_alerted(pool, pools)
        fresh = max(0.0, size - taken)
        alerted = fresh if phase.max_alerts is None else expected_capped(fresh, phase.max_alerts)
        rate = sum(n * rules.rate(k) for k, n in pool.by_key.items()) / size if size else 0.0
        acceptors = alerted * rate
        fires = poisson_below(acceptors_so_far, accept_limit)
        # Alerted responders sit in the ring this phase adds; a binding cap keeps only its nearest.
        inner = phase.radius_m * math.sqrt(taken / size) if size else 0.0
        outer = math.sqrt(inner**2 + (phase.radius_m**2 - inner**2) * (alerted / fresh)) if fresh else inner
        pool.alerted = alerted
        pools.append(pool)
        estimates.append(PhaseEstimate(phase.name, fires * alerted, acceptors, fires))
        waves.append(Wave(acceptors, inner, outer, phase.delay_s))
        acceptors_so_far += acceptors
    p_accept = 1.0 - math.exp(-acceptors_so_far)
    return Outcome(incident.id, True, tuple(estimates), p_accept, None), waves


def replay(incidents: Iterable[ReplayIncident], policy: Policy, history: DensityHistory, model: Model) -> list[Outcome]:
    rules = _Rules(model)
    estimated = [_estimate(i, policy, history, rules) for i in incidents]
    times = expected_first_arrivals(
        [waves for _, waves in estimated], walking_speed_mps=model.walking_speed_mps, route_factor=model.route_factor
    )
    return [
        replace(outcome, arrival_s=t) if t is not None else outcome
        for (outcome, _), t in zip(estimated, times, strict=True)
    ]


def replay_one(incident: ReplayIncident, policy: Policy, history: DensityHistory, model: Model) -> Outcome:
    return replay([incident], policy, history, model)[0]
