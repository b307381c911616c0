"""Closed-form pieces of the replay model: Poisson counts and the time to the first arrival.

Responders of a phase are modelled as a Poisson field, uniform over the ring of distances that phase
reaches (its circle, less the inner part earlier phases already alerted). Those who accept form a
thinned Poisson field, so the chance that nobody has arrived by time t is exp(-expected acceptors
who can be on scene by t), and the expected first arrival is the integral of that survival curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(12)
_SPLITS = 8  # each smooth piece is cut in eight, 12 nodes each: ~1e-6 relative error on steep curves


def expected_capped(mean: float, cap: int) -> float:
    """E[min(N, cap)] for N ~ Poisson(mean): a phase alerts at most `cap` responders."""
    if mean <= 0:
        return 0.0
    if cap - mean > 10 * math.sqrt(mean) + 10:
        return mean  # P(N >= cap) is below 1e-20: the cap never binds
    pmf = math.exp(-mean)
    below = 0.0  # sum of k P(k) for k < cap
    tail = 1.0  # P(N >= cap)
    for k in range(cap):
        below += k * pmf
        tail -= pmf
        pmf *= mean / (k + 1)
    return below + cap * max(0.0, tail)


def poisson_below(mean: float, limit: int) -> float:
    """P(N < limit) for N ~ Poisson(mean): a later phase fires only while fewer than the accept limit took it."""
    if mean <= 0:
        return 1.0
    pmf, total = math.exp(-mean), 0.0
    for k in range(limit):
        total += pmf
        pmf *= mean / (k + 1)
    return min(1.0, total)


@dataclass(frozen=True, slots=True)
class Wave:
    """The acceptors one phase adds: `acceptors` expected, spread by area between two distances, who
    set off `delay_s` after the incident arrived."""

    acceptors: float
    inner_m: float
    outer_m: float
    delay_s: float


def _reached(wave: Wave, t: np.ndarray, speed: float) -> np.ndarray:
    d = np.clip((t - wave.delay_s) * speed, 0.0, None)
    span = wave.outer_m ** 2 - wave.inner_m ** 2
    if span <= 0:
        return np.where(d >= wave.outer_m, wave.acceptors, 0.0)
    return wave.acceptors * np.clip((d * d - wave.inner_m ** 2) / span, 0.0, 1.0)


def expected_first_arrival(waves: Sequence[Wave], *, walking_speed_mps: float, route_factor: float) -> float | None:
    """Expected seconds to the first arrival, given that someone arrives; None when nobody can."""
    waves = [w for w in waves if w.acceptors > 0]
    if not waves:
        return None
    speed = walking_speed_mps / route_factor  # straight-line metres covered per second
    total = sum(w.acceptors for w in waves)
    never = math.exp(-total)
    breaks = sorted({0.0} | {w.delay_s + r / speed for w in waves for r in (w.inner_m, w.outer_m)}
                    | {w.delay_s for w in waves})
    area = 0.0
    for a, b in zip(breaks, breaks[1:]):
        if b <= a:
            continue
        edges = np.linspace(a, b, _SPLITS + 1)
        half, mid = (edges[1:] - edges[:-1]) / 2, (edges[1:] + edges[:-1]) / 2
        t = (mid[:, None] + half[:, None] * _NODES[None, :]).ravel()
        weights = (half[:, None] * _WEIGHTS[None, :]).ravel()
        reached = sum(_reached(w, t, speed) for w in waves)
        area += float(np.dot(weights, np.exp(-reached) - never))
    return area / (1.0 - never)
