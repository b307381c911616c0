"""What the per-key rate limit adds to a request: one token-bucket script call against the real
Redis, compared with the cheapest Redis round trip (PING) and a plain GET measured in the same run.

    .venv/bin/python bench/rate_limit.py [--n 5000] [--redis redis://127.0.0.1:6379/0]

Sequential calls from one client, so the numbers are round-trip latencies, not Redis throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from redis.asyncio import Redis

from alerting.live.keys import Keys
from alerting.live.rate_limit import RateLimiter


async def timed(label: str, n: int, call) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - t0)
    median = statistics.median(samples) * 1e6
    print(f"{label:<28} median {median:7.1f} us   p99 {statistics.quantiles(samples, n=100)[98] * 1e6:7.1f} us")
    return median


async def main(n: int, url: str) -> None:
    redis = Redis.from_url(url)
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    limiter = RateLimiter(redis, Keys(prefix))
    await redis.set(f"{prefix}plain", "1")
    try:
        await limiter.take("key", "warm", rate=1e9, burst=10**9, now=time.time())
        ping = await timed("PING (raw baseline)", n, redis.ping)
        get = await timed("GET", n, lambda: redis.get(f"{prefix}plain"))
        bucket = await timed(
            "token bucket take()", n, lambda: limiter.take("key", "k", rate=1e9, burst=10**9, now=time.time())
        )
        print(f"ratios: GET/PING {get / ping:.2f}x, take/PING {bucket / ping:.2f}x, take/GET {bucket / get:.2f}x")
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = ap.parse_args()
    asyncio.run(main(args.n, args.redis))
