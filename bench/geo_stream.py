"""The live index's hottest write: a stream of location updates, Redis CPU per update.

    .venv/bin/python bench/geo_stream.py [--responders 50000] [--fixes 5] [--burst 50]

Registers `--responders` available responders in one trust (three groups, a quarter of them in two),
gives each a first position, then sends `--fixes` more per responder, a few metres and 30 s apart
(so most stay in their 300 s time bucket), in bursts of `--burst` as the location batcher sends
them. Prints the Redis server's CPU per update (`INFO cpu`, main thread: run it against a Redis of
its own, `ALERTING_REDIS_URL`, for a number that is the index's alone). Everything it writes is
under its own prefix and deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from pathlib import Path

import numpy as np
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.index import LocationUpdate, Profile, ResponderIndex

GROUPS = ("staff", "volunteers", "community")
T0 = 1_800_000_000.0


async def redis_cpu_s(redis: Redis) -> float:
    cpu = await redis.info("cpu")
    return float(cpu["used_cpu_user_main_thread"]) + float(cpu["used_cpu_sys_main_thread"])


async def main(n: int, fixes: int, burst: int) -> None:
    redis = Redis.from_url(os.environ.get("ALERTING_REDIS_URL", "redis://127.0.0.1:6379/0"))
    prefix = f"bench-stream-{uuid.uuid4().hex[:8]}:"
    index = ResponderIndex(redis, prefix=prefix, bucket_s=300)
    try:
        rng = np.random.default_rng(3)
        ids = [f"r{i:07d}" for i in range(n)]
        profiles = [
            Profile(rid, (GROUPS[i % 3],) if i % 4 else (GROUPS[i % 3], GROUPS[(i + 1) % 3]), True, True)
            for i, rid in enumerate(ids)
        ]
        await index.set_profiles("T", profiles, now=T0)
        lat, lon = (53.8 + rng.normal(0, 0.05, n)).tolist(), (-1.55 + rng.normal(0, 0.08, n)).tolist()
        await index.upsert_many("T", [LocationUpdate(rid, lat[i], lon[i], 5.0, T0) for i, rid in enumerate(ids)])
        spent = 0.0
        for k in range(1, fixes + 1):
            updates = [LocationUpdate(rid, lat[i] + k * 1e-5, lon[i], 5.0, T0 + 30 * k) for i, rid in enumerate(ids)]
            before = await redis_cpu_s(redis)
            for j in range(0, n, burst):
                await index.upsert_many("T", updates[j : j + burst])
            spent += await redis_cpu_s(redis) - before
        print(
            f"Redis CPU per location update: {spent / (n * fixes) * 1e6:.2f} us "
            f"({n:,} responders x {fixes} fixes, bursts of {burst})"
        )
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(keys), 500):
            await redis.delete(*keys[i : i + 500])
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responders", type=int, default=50_000)
    parser.add_argument("--fixes", type=int, default=5)
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.responders, args.fixes, args.burst))
