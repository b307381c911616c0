"""The Redis layer on a Redis Cluster of three masters: every key of a trust in one slot, every
script and transaction inside it, sharded frames delivered from whichever shard owns a channel."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import random
import uuid

import pytest
from redis.asyncio import Redis, RedisCluster
from redis.crc import key_slot
from redis.exceptions import RedisError

from alerting.live.accept import AcceptReferee
from alerting.live.bus import Bus, Subscriber
from alerting.live.keys import Keys
from alerting.live.redis_client import connect
from alerting.live.tracking import Tracking
from geo.aeds import Aed, AedIndex
from geo.index import BATCH, LocationUpdate, Profile, ResponderIndex
from tests.support.redis_cluster import RedisClusterOnLoopback
from tests.support.stack import TEST_BROKER_URL, make_settings

NOW = 1_800_000_000.0


@pytest.fixture
async def cluster(redis_cluster):
    client = connect(
        make_settings("sqlite://", redis_url=redis_cluster.url, redis_cluster=True, broker_url=TEST_BROKER_URL)
    )
    assert isinstance(client, RedisCluster)
    await client.initialize()  # learns the nodes and their slots now rather than at the first command
    assert len(client.get_primaries()) == 3
    yield client
    await client.flushall()  # the cluster is this run's own
    await client.aclose()


def trusts_on_every_shard(cluster: RedisCluster, prefix: str) -> list[str]:
    """One trust id whose slot each master owns."""
    found: dict[str, str] = {}
    while len(found) < len(cluster.get_primaries()):
        trust = uuid.uuid4().hex[:8]
        found.setdefault(cluster.get_node_from_key(f"{prefix}{{t:{trust}}}").name, trust)
    return list(found.values())


def test_every_key_of_a_trust_shares_its_slot():
    keys, trust = Keys("p:"), "T1"
    slot = key_slot(f"p:{{t:{trust}}}".encode())
    per_trust = [
        name for name, fn in inspect.getmembers(Keys, inspect.isfunction) if "trust" in inspect.signature(fn).parameters
    ]
    assert len(per_trust) >= 6
    for name in per_trust:
        params = [p for p in inspect.signature(getattr(Keys, name)).parameters if p != "self"]
        key = getattr(keys, name)(*[trust if p == "trust" else "x" for p in params])
        assert key_slot(key.encode()) == slot, name
    index = ResponderIndex(Redis(), prefix="p:")
    for suffix in ("r", "g:staff:6000000", "p:staff:6000000"):  # every key the index scripts touch
        assert key_slot((index.base(trust) + suffix).encode()) == slot
    aeds = AedIndex(Redis(), prefix="p:")
    assert {key_slot(k.encode()) for k in aeds._keys(trust)} == {slot}


async def test_the_index_answers_alike_on_a_cluster_and_on_one_redis(cluster):
    single = Redis.from_url(make_settings("sqlite://").redis_url)
    prefix = f"test-cl-{uuid.uuid4().hex[:8]}:"
    await cluster.script_flush()  # a node that lost its scripts (restart, failover) still runs them
    try:
        answers = []
        trusts = trusts_on_every_shard(cluster, prefix)
        for client in (cluster, single):
            index = ResponderIndex(client, prefix=prefix)
            rng = random.Random(7)
            for trust in trusts:
                ids = [f"r{i}" for i in range(BATCH + 500)]  # more than one script call: the pipelined path
                await index.set_profiles(trust, [Profile(r, ("staff",), True, True) for r in ids], now=NOW)
                fixes = [
                    LocationUpdate(r, 53.8 + rng.uniform(-0.02, 0.02), -1.55 + rng.uniform(-0.03, 0.03), 5.0, NOW)
                    for r in ids
                ]
                assert await index.upsert_many(trust, fixes) == []
                near = await index.nearest(
                    trust, 53.8, -1.55, radius_m=1000, groups=["staff"], limit=10, max_age_s=600, now=NOW + 1
                )
                counts = await index.counts_near(
                    trust, 53.8, -1.55, radius_m=800, groups=["staff"], max_age_s=600, now=NOW + 1
                )
                answers.append((trust, [(h.responder_id, round(h.distance_m, 6)) for h in near], counts))
                assert len(near) == 10 and all(math.isfinite(h.distance_m) for h in near)
        half = len(answers) // 2
        assert answers[:half] == answers[half:]
    finally:
        keys = [k async for k in single.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await single.delete(*keys)
        await single.aclose()


async def test_referee_tracking_and_aeds_keep_their_atomic_steps_on_a_cluster(cluster):
    keys = Keys(f"test-cl-{uuid.uuid4().hex[:8]}:")
    referee, tracking, aeds = (
        AcceptReferee(cluster, keys),
        Tracking(cluster, keys),
        AedIndex(cluster, prefix=keys.prefix),
    )
    await cluster.script_flush()
    for trust in trusts_on_every_shard(cluster, keys.prefix):
        async with cluster.pipeline(transaction=False) as pipe:  # as a publish after commit queues them
            referee.open_in(pipe, trust, "inc", 2)
            await tracking.track_in(pipe, trust, "amy", "inc")
            await pipe.execute()
        assert [await referee.try_accept(trust, "inc", r) for r in ("amy", "bob", "cy", "amy")] == [1, 2, 0, 1]
        assert (await tracking.lookup_many(trust, ["amy", "bob"]))["amy"].incident_id == "inc"
        # Rebuilt from SQL after a loss: WATCH and MULTI on the incident's two keys.
        await cluster.delete(keys.incident(trust, "gone"))
        await referee.restore(trust, "gone", open_=True, limit=1, winners=["bob"])
        assert await referee.try_accept(trust, "gone", "bob") == 1
        assert await referee.try_accept(trust, "gone", "amy") == 0
        await aeds.replace(trust, [Aed("a1", "Library", "24/7", 53.8, -1.55)])  # MULTI with RENAME
        found = await aeds.nearest(trust, 53.8001, -1.55, max_m=500)
        assert found is not None and found[0].id == "a1"


async def test_a_frame_goes_to_the_one_shard_owning_its_channel(cluster, caplog):
    keys = Keys(f"test-cl-{uuid.uuid4().hex[:8]}:")
    bus = Bus(cluster, keys)
    got: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
    subscriber = Subscriber(cluster, keys, lambda channel, frame: got.put_nowait((channel, frame)))
    await subscriber.start()
    try:
        trusts = trusts_on_every_shard(cluster, keys.prefix)
        channels = [keys.responder_channel(t, "amy") for t in trusts]
        for channel in channels:
            await subscriber.subscribe(channel)
        for trust, channel in zip(trusts, channels, strict=True):
            owner = cluster.get_node_from_key(channel)
            for node in cluster.get_primaries():  # the subscription is held on the owner alone
                held = await cluster.execute_command("PUBSUB SHARDNUMSUB", channel, target_nodes=node)
                assert held[0][1] == (1 if node.name == owner.name else 0), (node.name, owner.name)
            async with cluster.pipeline(transaction=False) as pipe:
                bus.to_responder_in(pipe, trust, "amy", {"type": "alert", "trust": trust})
                (listeners,) = await pipe.execute()
            assert listeners == 1
            assert await asyncio.wait_for(got.get(), 10) == (channel, {"type": "alert", "trust": trust})
        await subscriber.unsubscribe(channels[0])
        async with cluster.pipeline(transaction=False) as pipe:
            bus.to_responder_in(pipe, trusts[0], "amy", {"type": "alert"})
            bus.to_responder_in(pipe, trusts[1], "amy", {"type": "alert", "still": True})
            assert await pipe.execute() == [0, 1]
        assert await asyncio.wait_for(got.get(), 10) == (channels[1], {"type": "alert", "still": True})
        # A shard whose last channel left can gain one again.
        await subscriber.subscribe(channels[0])
        await bus.to_trust(trusts[0], {"type": "x"})  # nobody listens to the trust channel
        await cluster.spublish(channels[0], json.dumps({"type": "back"}))
        assert await asyncio.wait_for(got.get(), 10) == (channels[0], {"type": "back"})
    finally:
        await subscriber.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def _node_id(cluster: RedisCluster, node) -> str:
    raw = await cluster.execute_command("CLUSTER MYID", target_nodes=node)
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def move_slot(cluster: RedisCluster, slot: int, src, dst) -> None:
    """Hand an empty slot from one master to another, as a resharding does."""
    src_id, dst_id = await _node_id(cluster, src), await _node_id(cluster, dst)
    await cluster.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id, target_nodes=dst)
    await cluster.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id, target_nodes=src)
    for node in cluster.get_primaries():
        await cluster.execute_command("CLUSTER SETSLOT", slot, "NODE", dst_id, target_nodes=node)


async def test_a_subscription_follows_its_slot_to_another_shard(cluster, redis_cluster, caplog):
    keys = Keys(f"test-cl-{uuid.uuid4().hex[:8]}:")
    channel = keys.responder_channel(uuid.uuid4().hex[:8], "amy")
    # The subscribing process has a client of its own that never touches the slot, so nothing but
    # the shard's SUNSUBSCRIBE tells it that the slot moved.
    own = connect(
        make_settings("sqlite://", redis_url=redis_cluster.url, redis_cluster=True, broker_url=TEST_BROKER_URL)
    )
    await own.initialize()
    got: asyncio.Queue[dict] = asyncio.Queue()
    subscriber = Subscriber(own, keys, lambda _, frame: got.put_nowait(frame))
    await subscriber.start()

    async def delivered(n: int, timeout: float = 15) -> None:
        """Published again each second (pub/sub keeps nothing) until it arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            await cluster.spublish(channel, json.dumps({"n": n}))
            try:
                while (await asyncio.wait_for(got.get(), 1))["n"] != n:
                    pass
                return
            except TimeoutError:
                continue
        raise AssertionError(f"frame {n} never arrived")

    try:
        await subscriber.subscribe(channel)
        await delivered(1, timeout=5)
        slot = key_slot(channel.encode())
        for n in (2, 3):  # away to another master, then on to a third
            await cluster.nodes_manager.initialize()  # the slot's owner now
            src = cluster.get_node_from_key(channel)
            dst = next(node for node in cluster.get_primaries() if node.name != src.name)
            await move_slot(cluster, slot, src, dst)
            await delivered(n)
    finally:
        await subscriber.stop()
        await own.aclose()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_subscription_follows_a_failover_to_the_replica():
    ha = RedisClusterOnLoopback(replicas=1, node_timeout_ms=1000)  # a replica per master, quick to fail over
    await asyncio.to_thread(ha.start)
    settings = make_settings("sqlite://", redis_url=ha.url, redis_cluster=True, broker_url=TEST_BROKER_URL)
    own = connect(settings)
    got: asyncio.Queue[dict] = asyncio.Queue()
    subscriber = None
    try:
        await own.initialize()
        keys = Keys(f"test-cl-{uuid.uuid4().hex[:8]}:")
        channel = keys.responder_channel("T1", "amy")
        subscriber = Subscriber(own, keys, lambda _, frame: got.put_nowait(frame))
        await subscriber.start()
        await subscriber.subscribe(channel)
        owner = own.get_node_from_key(channel)
        survivors = [p for p in ha.ports if p != owner.port]

        async def delivered(n: int, timeout: float) -> None:
            """Published each second through a fresh client (pub/sub keeps nothing; a publisher
            fails too while the failover is under way) until it arrives."""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while loop.time() < deadline:
                publisher = RedisCluster.from_url(f"redis://127.0.0.1:{survivors[0]}/0")
                try:
                    await publisher.spublish(channel, json.dumps({"n": n}))
                except (ConnectionError, OSError, RedisError):
                    pass
                finally:
                    await publisher.aclose()
                try:
                    while (await asyncio.wait_for(got.get(), 1))["n"] != n:
                        pass
                    return
                except TimeoutError:
                    continue
            raise AssertionError(f"frame {n} never arrived")

        await delivered(1, timeout=5)
        await asyncio.to_thread(ha.kill, owner.port)  # the channel's master crashes
        await delivered(2, timeout=30)
        assert own.get_node_from_key(channel).port != owner.port  # now read from the promoted replica
    finally:
        if subscriber is not None:
            await subscriber.stop()
        await own.aclose()
        await asyncio.to_thread(ha.stop)
