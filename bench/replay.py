"""Replay of 10,000 incidents under two policies (as one API call does), against a raw baseline.

Run: .venv/bin/python bench/replay.py [--incidents 10000] [--seed 1]

The raw baseline is the least any replay must do per incident, written without any of our code: find
its H3 cell and look that cell up in a dict. The ratio says what the whole model costs per incident
and stays comparable across machines and loads.
Target: both policies over 10,000 incidents in under 5 s.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

import h3

from alerting.domain.policy import build_policy
from alerting.replay import DensityHistory, Model, ReplayIncident, replay
from geo.hexgrid import cell_area_m2, cell_of, disk

LEEDS = (53.80, -1.55)
RAW_REPEATS = 20
CURRENT = {
    "phases": [
        {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "community", "groups": ["staff", "community"], "radius_m": 1000, "delay_s": 30},
    ],
    "accept_limit": 2,
    "categories": ["09-E-*", "09-D-01"],
}
DRAFT = {
    "phases": [
        {"name": "trusted", "groups": ["staff"], "radius_m": 500, "delay_s": 0},
        {"name": "community", "groups": ["staff", "community"], "radius_m": 2000, "delay_s": 20, "max_alerts": 20},
    ],
    "accept_limit": 2,
    "categories": ["09-E-*", "09-D-01"],
    "zones": [
        {
            "name": "rural west",
            "area": {
                "type": "Polygon",
                "coordinates": [[[-1.70, 53.70], [-1.60, 53.70], [-1.60, 53.90], [-1.70, 53.90], [-1.70, 53.70]]],
            },
            "phases": [{"name": "all", "groups": ["staff", "community"], "radius_m": 5000, "delay_s": 0}],
        }
    ],
}


def synthetic(n: int, seed: int) -> tuple[list[ReplayIncident], DensityHistory]:
    rng = random.Random(seed)
    cells = disk(cell_of(*LEEDS), 20)  # ~1,261 cells, ~0.9k km²
    counts = []
    for how in range(168):
        busy = 0.5 + 0.5 * (8 <= how % 24 <= 20)
        for c in cells:
            for key, per_km2 in (("staff", 3.0), ("community", 8.0), ("community,staff", 0.5)):
                if rng.random() < 0.6:
                    counts.append((how, c, key, 4 * rng.expovariate(1 / per_km2) * busy * cell_area_m2(c) / 1e6))
    history = DensityHistory({h: 4 for h in range(168)}, counts)
    start = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    incidents = [
        ReplayIncident(
            f"i{i}",
            53.70 + 0.2 * rng.random(),
            -1.70 + 0.3 * rng.random(),
            rng.choice(["09-E-01", "09-D-01", "26-A-01"]),
            rng.choice(["public", "private", "unknown"]),
            start + rng.random() * 30 * 86_400,
        )
        for i in range(n)
    ]
    return incidents, history


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    incidents, history = synthetic(args.incidents, args.seed)
    groups = {"staff", "community"}
    current, _ = build_policy(CURRENT, known_groups=groups)
    draft, _ = build_policy(DRAFT, known_groups=groups)
    model = Model(acceptance={"staff": 0.35, "community": 0.2}, private_ok={"staff": True, "community": False})

    lookup: dict[str, int] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(RAW_REPEATS):  # repeated: one pass is too short to time steadily
        for i in incidents:
            lookup.get(h3.latlng_to_cell(i.lat, i.lon, 8))
    raw, raw_cpu = (time.perf_counter() - t0) / RAW_REPEATS, (time.process_time() - c0) / RAW_REPEATS

    t0, c0 = time.perf_counter(), time.process_time()
    replay(incidents, current, history, model)
    replay(incidents, draft, history, model)
    both, both_cpu = time.perf_counter() - t0, time.process_time() - c0

    print(f"incidents: {len(incidents)} x 2 policies")
    print(f"raw baseline (H3 cell + dict lookup): {raw:.3f} s wall, {raw_cpu:.3f} s CPU")
    print(
        f"replay, current + draft:             {both:.3f} s wall, {both_cpu:.3f} s CPU "
        f"({both_cpu / raw_cpu:.0f}x raw CPU; target < 5 s: {'met' if both < 5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
