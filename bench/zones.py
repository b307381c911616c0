"""Zone lookup with many zones: per-incident cost of `Policy.zone_for` against a naive scan.

Target (issue 10): 1,000 zones, under 50 us per incident. The zones are irregular 48-vertex blobs
over a trust-sized area, a fifth with a hole, overlapping their neighbours; the points are uniform
over the area, so most fall in some zone and some in none. Baselines measured in the same run:
`naive` tests each zone's unprepared geometry in order (what a first version would write);
`one polygon` is the cost of a single prepared point-in-polygon test, the floor of any lookup.
Per-incident costs are CPU time (best of three passes), so other load on a shared machine does
not inflate them; the p99 is wall clock.

    .venv/bin/python bench/zones.py [--zones 1000] [--points 20000]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time

import shapely
from shapely.geometry import Point, mapping

from alerting.domain.policy import build_policy

LON0, LAT0, LON1, LAT1 = -2.6, 53.3, -0.3, 54.6  # about the size of a large English ambulance trust
PHASE = [{"name": "all", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}]


def blob(rng: random.Random, cx: float, cy: float, r: float, vertices: int = 48, hole: bool = False) -> dict:
    ring = []
    for k in range(vertices):
        a = 2 * math.pi * k / vertices
        rr = r * rng.uniform(0.7, 1.0)
        ring.append((cx + rr * math.cos(a) * 1.7, cy + rr * math.sin(a)))  # 1.7: degrees of lon are shorter
    shell = shapely.Polygon(ring)
    if hole:
        shell = shell.difference(Point(cx, cy).buffer(r * 0.3, quad_segs=4))
    return mapping(shell)


def make_zones(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    side = math.ceil(math.sqrt(n))
    dx, dy = (LON1 - LON0) / side, (LAT1 - LAT0) / side
    zones = []
    for i in range(n):
        cx = LON0 + (i % side + 0.5) * dx
        cy = LAT0 + (i // side + 0.5) * dy
        zones.append({"name": f"zone {i}", "area": blob(rng, cx, cy, dy * 0.75, hole=i % 5 == 0), "phases": PHASE})
    return zones


def per_call_us(fn, points, repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()  # CPU time of this process: other load on the machine does not count
        for lat, lon in points:
            fn(lat, lon)
        best = min(best, time.process_time() - t0)
    return best / len(points) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zones", type=int, default=1000)
    ap.add_argument("--points", type=int, default=20000)
    args = ap.parse_args()

    zones = json.loads(json.dumps(make_zones(args.zones)))  # lists, as a stored policy holds them
    t0 = time.process_time()  # CPU time: the shared machine's load does not inflate it
    policy, _ = build_policy({"phases": PHASE, "zones": zones}, known_groups={"staff"})
    build_s = time.process_time() - t0
    rng = random.Random(11)
    points = [(rng.uniform(LAT0, LAT1), rng.uniform(LON0, LON1)) for _ in range(args.points)]

    raw = [shapely.geometry.shape(z["area"]) for z in zones]

    def naive(lat: float, lon: float):
        p = Point(lon, lat)
        for z, g in zip(zones, raw, strict=True):
            if g.intersects(p):
                return z["name"]
        return None

    one = policy.zones[0].area.geom

    def one_polygon(lat: float, lon: float):
        return shapely.intersects_xy(one, lon, lat)

    # Same answers first: a fast wrong lookup is worth nothing.
    sample = points[: min(len(points), 2000)]
    mismatches = sum(1 for lat, lon in sample if naive(lat, lon) != getattr(policy.zone_for(lat, lon), "name", None))
    hits = sum(1 for lat, lon in sample if policy.zone_for(lat, lon) is not None)

    naive_points = points[: max(200, len(points) // 20)]  # the naive scan is slow; fewer points suffice
    naive_us = per_call_us(naive, naive_points)
    lookup_us = per_call_us(policy.zone_for, points)
    floor_us = per_call_us(one_polygon, points)
    lat_lookups = []
    for lat, lon in points[:5000]:
        t = time.perf_counter()
        policy.zone_for(lat, lon)
        lat_lookups.append((time.perf_counter() - t) * 1e6)
    p99 = statistics.quantiles(lat_lookups, n=100)[98]

    print(f"zones={args.zones} points={args.points} in-a-zone={hits / len(sample):.0%} mismatches={mismatches}")
    print(f"policy build (parse, validate, prepare, grid): {build_s * 1000:.0f} ms CPU")
    print(f"{'naive scan (unprepared, in order)':<40} {naive_us:9.2f} us/incident  1.00x")
    print(
        f"{'Policy.zone_for (STRtree grid, prepared)':<40} {lookup_us:9.2f} us/incident  {naive_us / lookup_us:.0f}x faster"
        f"  (p99 wall clock {p99:.1f} us)"
    )
    print(
        f"{'one prepared polygon (floor)':<40} {floor_us:9.2f} us/incident  zone_for = {lookup_us / floor_us:.1f}x the floor"
    )
    print(f"target < 50 us per incident: {'met' if lookup_us < 50 else 'NOT met'}")
    if mismatches:
        raise SystemExit("zone_for disagrees with the naive scan")


if __name__ == "__main__":
    main()
