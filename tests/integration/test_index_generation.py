"""When a phase may search the live index after Redis lost it: once every live API process has
written its sockets' positions back, never before the node set can have re-formed, never later than
the bound. Time is passed in, so no test waits."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from alerting.live.index_generation import STARTED, IndexGeneration
from alerting.live.keys import Keys
from tests.support.stack import make_settings

T = 1_000_000.0


@pytest.fixture
async def generation():
    settings = make_settings("sqlite://")
    redis = Redis.from_url(settings.redis_url)
    prefix = f"test-gen-{uuid.uuid4().hex[:8]}:"
    yield IndexGeneration(redis, Keys(prefix), heartbeat_s=1.0, max_wait_s=15.0)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_after_a_loss_phases_wait_for_every_live_node_to_republish(generation):
    assert not await generation.ready(T)  # nothing there: lost; the node set must re-form first
    await generation.heartbeat("a", T + 0.5)
    await generation.heartbeat("b", T + 0.6)
    gen_id, made_at, _ = await generation.current(T + 0.7)
    assert made_at == T
    await generation.mark_republished(gen_id, "a")
    assert not await generation.ready(T + 3)  # b has not written its positions back
    await generation.mark_republished(gen_id, "b")
    assert await generation.ready(T + 3)


async def test_the_wait_is_bounded_and_the_settling_time_holds_even_with_no_nodes(generation):
    assert not await generation.ready(T)
    assert not await generation.ready(T + 1)  # no node yet is no proof: they may not have beaten yet
    assert await generation.ready(T + 3)  # settled, and nobody alive to wait for
    fresh = IndexGeneration(generation._redis, generation._keys, heartbeat_s=1.0, max_wait_s=15.0)
    await fresh.heartbeat("stuck", T + 3)  # a node that never republishes delays, never stops, alerting
    await fresh._redis.delete(fresh._key)
    assert not await fresh.ready(T + 4)
    await fresh.heartbeat("stuck", T + 9.5)  # alive, yet never marks the generation
    assert not await fresh.ready(T + 10)
    await fresh.heartbeat("stuck", T + 19)
    assert await fresh.ready(T + 19.5)  # 15 s after the generation was made


async def test_a_generation_made_at_start_up_needs_no_settling(generation):
    gen_id, _, how = await generation.current(T, origin=STARTED)
    assert how == STARTED
    await generation.heartbeat("a", T)
    await generation.mark_republished(gen_id, "a")
    assert await generation.ready(T + 0.1)
