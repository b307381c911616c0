"""The replay engine against answers known by hand: uniform density, one group, fixed acceptance."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from alerting.domain.policy import build_policy
from alerting.replay import DensityHistory, Model, ReplayIncident, hour_of_week, learn, replay_one, summarise
from alerting.replay.arrival import expected_capped
from alerting.replay.summary import weighted_percentile
from geo.hexgrid import MAX_RINGS, cell_area_m2, cell_of, disk

LEEDS = (53.80, -1.55)
AT = datetime(2026, 10, 6, 14, 30, tzinfo=UTC).timestamp()  # a Tuesday, 14h UTC
WALK, ROUTE = 1.6, 1.3


def uniform_history(per_km2: float, key: str = "staff", how: int | None = None) -> DensityHistory:
    """Every cell around Leeds holds exactly `per_km2` responders per km², sampled once."""
    how = hour_of_week(AT) if how is None else how
    cells = disk(cell_of(*LEEDS), MAX_RINGS + 2)
    return DensityHistory({how: 1}, [(how, c, key, per_km2 * cell_area_m2(c) / 1e6) for c in cells])


def policy(phases, **extra):
    groups = {"staff", "community"}
    return build_policy({"phases": phases, **extra}, known_groups=groups)[0]


def incident(location_type="private", category="09-E-01", at=AT):
    return ReplayIncident("i1", LEEDS[0], LEEDS[1], category, location_type, at)


MODEL = Model(
    acceptance={"staff": 0.3, "community": 0.1},
    private_ok={"staff": True, "community": False},
    walking_speed_mps=WALK,
    route_factor=ROUTE,
)


def nearest_given_within(nu: float, radius: float) -> float:
    """E[D | D <= R] for the nearest point of a Poisson field of intensity nu per m²."""
    a = math.pi * nu
    hit = 1 - math.exp(-a * radius**2)
    integral = math.sqrt(math.pi) / (2 * math.sqrt(a)) * math.erf(math.sqrt(a) * radius) - radius * math.exp(
        -a * radius**2
    )
    return integral / hit


@pytest.mark.parametrize("per_km2, radius", [(40.0, 200.0), (10.0, 500.0), (2.0, 1000.0), (0.5, 3000.0)])
def test_one_phase_matches_the_closed_form(per_km2, radius):
    lam = per_km2 / 1e6
    out = replay_one(
        incident(), policy([{"name": "p", "groups": ["staff"], "radius_m": radius}]), uniform_history(per_km2), MODEL
    )
    mean = lam * math.pi * radius**2
    assert out.phases[0].alerted == pytest.approx(mean, rel=0.01)
    assert out.p_accept == pytest.approx(1 - math.exp(-mean * 0.3), rel=0.01)
    eta = nearest_given_within(lam * 0.3, radius) * ROUTE / WALK
    assert out.arrival_s == pytest.approx(eta, rel=0.01)


def test_a_later_phase_adds_the_annulus_and_fires_only_while_unfilled():
    per_km2, r1, r2 = 10.0, 300.0, 800.0
    lam = per_km2 / 1e6
    pol = policy(
        [
            {"name": "near", "groups": ["staff"], "radius_m": r1},
            {"name": "wide", "groups": ["staff"], "radius_m": r2, "delay_s": 30},
        ],
        accept_limit=1,
    )
    out = replay_one(incident(), pol, uniform_history(per_km2), MODEL)
    near, ring = lam * math.pi * r1**2, lam * math.pi * (r2**2 - r1**2)
    unfilled = math.exp(-near * 0.3)  # P(no acceptance in phase one) with accept_limit 1
    assert out.phases[0].alerted == pytest.approx(near, rel=0.01)
    assert out.phases[1].alerted == pytest.approx(ring * unfilled, rel=0.01)
    assert out.p_accept == pytest.approx(1 - math.exp(-(near + ring) * 0.3), rel=0.01)


def test_a_late_wide_phase_reaches_more_incidents_but_only_slowly():
    """A second phase far out and late adds acceptors only after its delay: more incidents get
    someone, and the expected arrival, given someone arrives, gets later, not sooner."""
    per_km2, r = 20.0, 400.0
    one = replay_one(
        incident(), policy([{"name": "p", "groups": ["staff"], "radius_m": r}]), uniform_history(per_km2), MODEL
    )
    two = replay_one(
        incident(),
        policy(
            [
                {"name": "p", "groups": ["staff"], "radius_m": r},
                {"name": "q", "groups": ["staff"], "radius_m": 2000, "delay_s": 600},
            ]
        ),
        uniform_history(per_km2),
        MODEL,
    )
    assert two.p_accept > one.p_accept
    assert two.arrival_s > one.arrival_s  # the late wave only adds slow arrivals to incidents phase one missed


def test_max_alerts_caps_the_expected_alerts():
    out = replay_one(
        incident(),
        policy([{"name": "p", "groups": ["staff"], "radius_m": 1000, "max_alerts": 3}]),
        uniform_history(10.0),
        MODEL,
    )
    mean = 10.0 / 1e6 * math.pi * 1000**2
    by_hand = sum(min(k, 3) * math.exp(-mean) * mean**k / math.factorial(k) for k in range(120))
    assert out.phases[0].alerted == pytest.approx(by_hand, rel=1e-6)
    assert expected_capped(2.0, 100) == 2.0 and expected_capped(0.0, 3) == 0.0


def test_public_only_groups_are_not_sent_into_homes():
    hist = uniform_history(10.0, key="community")
    pol = policy([{"name": "p", "groups": ["community"], "radius_m": 500}])
    assert replay_one(incident("private"), pol, hist, MODEL).expected_alerts == 0
    assert replay_one(incident("unknown"), pol, hist, MODEL).expected_alerts == 0
    assert replay_one(incident("public"), pol, hist, MODEL).expected_alerts == pytest.approx(
        10.0 / 1e6 * math.pi * 500**2, rel=0.01
    )


def test_a_responder_in_two_groups_is_counted_once():
    hist = uniform_history(10.0, key="community,staff")
    pol = policy([{"name": "p", "groups": ["staff", "community"], "radius_m": 500}])
    out = replay_one(incident("public"), pol, hist, MODEL)
    assert out.expected_alerts == pytest.approx(10.0 / 1e6 * math.pi * 500**2, rel=0.01)
    assert out.p_accept == pytest.approx(1 - math.exp(-out.expected_alerts * 0.2), rel=0.01)  # mean of 0.3 and 0.1


def test_categories_outside_the_policy_alert_nobody():
    out = replay_one(
        incident(category="26-A-01"),
        policy([{"name": "p", "groups": ["staff"], "radius_m": 500}], categories=["09-E-*"]),
        uniform_history(10.0),
        MODEL,
    )
    assert not out.alerting and out.expected_alerts == 0 and out.arrival_s is None


def test_an_unsampled_hour_uses_the_mean_of_sampled_hours():
    how = hour_of_week(AT)
    other = (how + 5) % 168
    cells = disk(cell_of(*LEEDS), MAX_RINGS + 2)
    hist = DensityHistory({other: 2}, [(other, c, "staff", 2 * 10.0 * cell_area_m2(c) / 1e6) for c in cells])
    out = replay_one(incident(), policy([{"name": "p", "groups": ["staff"], "radius_m": 500}]), hist, MODEL)
    assert out.expected_alerts == pytest.approx(10.0 / 1e6 * math.pi * 500**2, rel=0.01)
    assert (
        replay_one(
            incident(), policy([{"name": "p", "groups": ["staff"], "radius_m": 500}]), DensityHistory({}, []), MODEL
        ).expected_alerts
        == 0
    )


def test_hour_of_week_starts_monday_midnight_utc():
    assert hour_of_week(datetime(2026, 11, 23, 0, 0, tzinfo=UTC).timestamp()) == 0  # a Monday
    assert hour_of_week(datetime(2026, 11, 29, 23, 59, tzinfo=UTC).timestamp()) == 167


def test_acceptance_is_the_beta_posterior_mean_with_a_stated_prior():
    rates = learn([(("staff",), 6, 4), (("staff", "community"), 2, 8)], groups=["staff", "community", "aed"])
    assert rates["aed"].mean == pytest.approx(2 / 10)  # prior Beta(2, 8) alone
    assert rates["staff"].mean == pytest.approx((2 + 8) / (10 + 20))
    assert rates["community"].mean == pytest.approx((2 + 2) / (10 + 10))


def test_summary_counts_incidents_with_a_responder_and_scales_alerts_to_a_month():
    hist = uniform_history(10.0)
    pol = policy([{"name": "p", "groups": ["staff"], "radius_m": 500}], categories=["09-E-*"])
    outs = [replay_one(incident(), pol, hist, MODEL), replay_one(incident(category="x"), pol, hist, MODEL)]
    s = summarise(outs, responders=4, period_days=15)
    assert (s.incidents, s.alerting) == (2, 1)
    assert s.with_responder == pytest.approx(1 - math.exp(-outs[0].expected_alerts))
    assert s.median_arrival_s == pytest.approx(outs[0].arrival_s)
    assert s.alerts_per_responder_month == pytest.approx(outs[0].expected_alerts / 4 * 2)


def test_sparse_cover_counts_as_a_chance_and_weights_the_arrival_times():
    """Under one expected alert an incident still counts for its chance of one; the median arrival is
    weighted by each incident's chance that someone accepts."""
    hist = uniform_history(0.5)
    near = policy([{"name": "p", "groups": ["staff"], "radius_m": 200}], categories=["09-E-*"])
    far = policy([{"name": "p", "groups": ["staff"], "radius_m": 50}], categories=["09-E-*"])
    a, b = (
        summarise([replay_one(incident(), near, hist, MODEL)], responders=1, period_days=1),
        summarise([replay_one(incident(), far, hist, MODEL)], responders=1, period_days=1),
    )
    assert 0 < b.with_responder < a.with_responder < 0.1
    assert a.median_arrival_s is not None and b.median_arrival_s is not None
    assert b.median_arrival_s < a.median_arrival_s  # the nearer ring: sooner, given someone comes
    assert weighted_percentile([10.0, 20.0, 30.0], [0.1, 0.1, 0.8], 0.5) == 30.0
    assert weighted_percentile([10.0, 20.0], [0.0, 0.0], 0.5) is None


def test_dense_field_stays_within_one_percent_of_the_closed_form():
    per_km2, radius = 400.0, 500.0  # ~94 expected acceptors: a steep survival curve
    out = replay_one(
        incident(),
        policy([{"name": "p", "groups": ["staff"], "radius_m": radius, "max_alerts": 1000}]),
        uniform_history(per_km2),
        MODEL,
    )
    assert out.arrival_s == pytest.approx(nearest_given_within(per_km2 / 1e6 * 0.3, radius) * ROUTE / WALK, rel=0.01)


def test_two_delayed_phases_match_a_monte_carlo_of_the_same_field():
    """No closed form for staggered phases: simulate the Poisson field of acceptors instead."""
    per_km2, r1, r2, delay, p = 10.0, 300.0, 800.0, 30.0, 0.3
    out = replay_one(
        incident(),
        policy(
            [
                {"name": "near", "groups": ["staff"], "radius_m": r1},
                {"name": "wide", "groups": ["staff"], "radius_m": r2, "delay_s": delay},
            ],
            accept_limit=100,
        ),
        uniform_history(per_km2),
        MODEL,
    )
    rng = np.random.default_rng(7)
    trials = 200_000
    counts = rng.poisson(per_km2 / 1e6 * math.pi * r2**2 * p, trials)
    trial = np.repeat(np.arange(trials), counts)
    d = r2 * np.sqrt(rng.random(trial.size))
    arrive = np.where(d <= r1, 0.0, delay) + d * ROUTE / WALK
    first = np.full(trials, np.inf)
    np.minimum.at(first, trial, arrive)
    assert out.arrival_s == pytest.approx(first[counts > 0].mean(), rel=0.01)
