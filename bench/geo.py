"""The live index at national scale: 1,000,000 responders in one trust, nearest-50 against raw GEOSEARCH.

    .venv/bin/python bench/geo.py [--responders 1000000] [--queries 2000]

Builds a realistic trust (a dense city, suburbs, countryside; 10% available; three groups; positions
up to 30 minutes old against a 15-minute max age, so half of them are stale), bulk-loads it through
the index's own batched writes, and loads the same 1,000,000 positions into one plain GEO key as the
raw baseline. Then, single client, for 200 m, 1 km and 5 km around random points in the city:
(a) `ResponderIndex.nearest(limit=50)` over all three groups and (b) the raw
`GEOSEARCH key FROMLONLAT lon lat BYRADIUS r m ASC COUNT 50`. Prints queries/s, p50 and p99 for
each and the ratio ours/raw, as a Markdown table. Everything it writes is under its own prefix
and deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.distance import M_PER_DEG_LAT
from geo.index import LocationUpdate, Profile, ResponderIndex

CITY = (53.80, -1.55)
GROUPS = ("staff", "volunteers", "community")
GROUP_SHARE = (0.1, 0.3, 0.6)
MAX_AGE_S = 900.0
RADII = (200.0, 1000.0, 5000.0)
TRUST = "bench"


def population(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """40% in a dense city (sigma 3 km), 35% in suburbs (sigma 12 km), 25% across 120 x 120 km."""
    kinds = rng.choice(3, size=n, p=(0.40, 0.35, 0.25))
    north = np.where(
        kinds == 0,
        rng.normal(0, 3_000, n),
        np.where(kinds == 1, rng.normal(0, 12_000, n), rng.uniform(-60_000, 60_000, n)),
    )
    east = np.where(
        kinds == 0,
        rng.normal(0, 3_000, n),
        np.where(kinds == 1, rng.normal(0, 12_000, n), rng.uniform(-60_000, 60_000, n)),
    )
    lat = CITY[0] + north / M_PER_DEG_LAT
    lon = CITY[1] + east / (M_PER_DEG_LAT * math.cos(math.radians(CITY[0])))
    return lat, lon


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "qps": len(samples) / sum(samples),
        "p50": statistics.median(ordered) * 1e3,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
    }


async def timed(calls) -> tuple[list[float], list[int]]:
    samples, sizes = [], []
    for call in calls:
        t0 = time.perf_counter()
        result = await call()
        samples.append(time.perf_counter() - t0)
        sizes.append(len(result))
    return samples, sizes


async def main(n: int, queries: int) -> None:
    redis = Redis.from_url(os.environ.get("ALERTING_REDIS_URL", "redis://127.0.0.1:6379/0"))
    prefix = f"bench-geo-{uuid.uuid4().hex[:8]}:"
    index = ResponderIndex(redis, prefix=prefix, bucket_s=300)
    raw_key = f"{prefix}raw"
    rng = np.random.default_rng(7)
    now = time.time()
    try:
        lat, lon = population(n, rng)
        ages = rng.uniform(0, 2 * MAX_AGE_S, n)
        available = rng.random(n) < 0.10
        group_of = rng.choice(3, size=n, p=GROUP_SHARE)
        ids = [f"r{i:07d}" for i in range(n)]

        t0 = time.perf_counter()
        await index.set_profiles(
            TRUST, [Profile(ids[i], (GROUPS[group_of[i]],), True, bool(available[i])) for i in range(n)], now=now
        )
        profiles_s = time.perf_counter() - t0
        updates = [LocationUpdate(ids[i], float(lat[i]), float(lon[i]), 10.0, now - float(ages[i])) for i in range(n)]
        t0 = time.perf_counter()
        await index.upsert_many(TRUST, updates)
        load_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        for i in range(0, n, 10_000):
            await redis.geoadd(
                raw_key, [v for j in range(i, min(n, i + 10_000)) for v in (float(lon[j]), float(lat[j]), ids[j])]
            )
        raw_load_s = time.perf_counter() - t0
        print(
            f"bulk load: profiles {profiles_s:.2f} s, positions {load_s:.2f} s ({n / load_s:,.0f}/s); "
            f"raw GEOADD of the same positions {raw_load_s:.2f} s",
            flush=True,
        )

        q_north, q_east = rng.uniform(-2_000, 2_000, queries), rng.uniform(-2_000, 2_000, queries)
        q_lat = CITY[0] + q_north / M_PER_DEG_LAT
        q_lon = CITY[1] + q_east / (M_PER_DEG_LAT * math.cos(math.radians(CITY[0])))
        points = list(zip(q_lat.tolist(), q_lon.tolist(), strict=True))

        rows = []
        for radius in RADII:
            for _ in range(2):  # warm both paths once (script cache, connections)
                await index.nearest(
                    TRUST, *points[0], radius_m=radius, groups=GROUPS, limit=50, max_age_s=MAX_AGE_S, now=now
                )
                await redis.geosearch(
                    raw_key,
                    longitude=points[0][1],
                    latitude=points[0][0],
                    radius=radius,
                    unit="m",
                    sort="ASC",
                    count=50,
                )
            raw, raw_sizes = await timed(
                [
                    (
                        lambda p=p, radius=radius: redis.geosearch(
                            raw_key, longitude=p[1], latitude=p[0], radius=radius, unit="m", sort="ASC", count=50
                        )
                    )
                    for p in points
                ]
            )
            ours, our_sizes = await timed(
                [
                    (
                        lambda p=p, radius=radius: index.nearest(
                            TRUST, p[0], p[1], radius_m=radius, groups=GROUPS, limit=50, max_age_s=MAX_AGE_S, now=now
                        )
                    )
                    for p in points
                ]
            )
            rows.append((radius, summary(ours), summary(raw), statistics.mean(our_sizes), statistics.mean(raw_sizes)))
            print(f"{radius:,.0f} m done", flush=True)

        print(
            f"responders: {n:,}  queries per radius: {queries:,}  available: {int(available.sum()):,}  "
            f"fresh and available: {int((available & (ages <= MAX_AGE_S)).sum()):,}"
        )
        print()
        print(
            "| radius | ours q/s | ours p50 | ours p99 | raw q/s | raw p50 | raw p99 | ours/raw p50 | ours/raw p99 | mean hits ours / raw |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for radius, o, r, o_hits, r_hits in rows:
            print(
                f"| {radius:,.0f} m | {o['qps']:,.0f} | {o['p50']:.3f} ms | {o['p99']:.3f} ms | {r['qps']:,.0f} | "
                f"{r['p50']:.3f} ms | {r['p99']:.3f} ms | {o['p50'] / r['p50']:.2f} | {o['p99'] / r['p99']:.2f} | "
                f"{o_hits:.1f} / {r_hits:.1f} |"
            )
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(keys), 500):
            await redis.delete(*keys[i : i + 500])
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responders", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.responders, args.queries))
