"""The token-bucket script on the real Redis, driven with an explicit clock."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from alerting.live.keys import Keys
from alerting.live.rate_limit import RateLimiter


@pytest.fixture
async def limiter():
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test-rl-{uuid.uuid4().hex[:8]}:"
    yield RateLimiter(redis, Keys(prefix)), redis, prefix
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_a_burst_then_refusal_with_the_wait_until_the_next_token(limiter):
    rl, _, _ = limiter
    results = [await rl.take("key", "a", rate=2.0, burst=3, now=100.0) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[2].remaining == pytest.approx(0.0)
    assert results[3].retry_after_s == pytest.approx(0.5)  # 2 tokens per second


async def test_refills_at_the_rate_and_never_beyond_the_burst(limiter):
    rl, _, _ = limiter
    for _ in range(3):
        await rl.take("key", "b", rate=2.0, burst=3, now=100.0)
    half = await rl.take("key", "b", rate=2.0, burst=3, now=100.25)  # half a token back
    assert not half.allowed and half.retry_after_s == pytest.approx(0.25)
    one = await rl.take("key", "b", rate=2.0, burst=3, now=100.5)
    assert one.allowed and one.remaining == pytest.approx(0.0)
    later = await rl.take("key", "b", rate=2.0, burst=3, now=1000.0)  # long idle: capped at the burst
    assert later.allowed and later.remaining == pytest.approx(2.0)


async def test_buckets_are_per_subject_and_expire_when_idle(limiter):
    rl, redis, prefix = limiter
    await rl.take("key", "c", rate=1.0, burst=1, now=50.0)
    assert not (await rl.take("key", "c", rate=1.0, burst=1, now=50.0)).allowed
    assert (await rl.take("key", "d", rate=1.0, burst=1, now=50.0)).allowed
    ttl_ms = await redis.pttl(f"{prefix}rate:key:c")
    assert 0 < ttl_ms <= 2000  # a full refill (1 s) plus a margin: idle keys leave no residue
