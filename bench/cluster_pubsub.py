"""Frames on a Redis Cluster: classic PUBLISH (broadcast over the cluster bus to every master)
against the bus's sharded SPUBLISH (the owning shard only), in one run on one fresh cluster.

Three masters from redis-server on loopback (tests/support/redis_cluster.py), one subscribing
process holding CHANNELS responder channels spread over every shard, FRAMES frames of ~500 bytes
published by a second client in concurrent bursts of 50, each waited for at the subscriber. Printed for
each mode: cluster-bus messages per frame (CLUSTER INFO's publish / publishshard counters, summed
over the masters), the masters' CPU per frame (INFO's used_cpu_sys + used_cpu_user, summed) and the
publish-to-receive latency, p50 and p99; then sharded / classic as ratios.

    .venv/bin/python bench/cluster_pubsub.py [--frames 5000] [--channels 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis.asyncio import RedisCluster

from alerting.live.bus import Subscriber
from alerting.live.keys import Keys
from tests.support.redis_cluster import RedisClusterOnLoopback

BURST = 50


async def counters(cluster: RedisCluster) -> tuple[int, float]:
    """(cluster-bus publish messages sent, CPU seconds) summed over the masters."""
    bus, cpu = 0, 0.0
    for node in cluster.get_primaries():
        info = await cluster.cluster_info(target_nodes=node)
        bus += int(info.get("cluster_stats_messages_publish_sent", 0))
        bus += int(info.get("cluster_stats_messages_publishshard_sent", 0))
        stats = await cluster.info("cpu", target_nodes=node)
        cpu += float(stats["used_cpu_sys"]) + float(stats["used_cpu_user"])
    return bus, cpu


async def classic_listener(cluster: RedisCluster, channels: list[str], got: asyncio.Queue[float]) -> asyncio.Task[None]:
    pubsub = cluster.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(*channels)

    async def read() -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message["type"] == "message":
                    got.put_nowait(json.loads(message["data"])["t"])
        finally:
            await pubsub.aclose()

    return asyncio.create_task(read())


async def run(mode: str, url: str, frames: int, n_channels: int) -> dict[str, float]:
    sub_client, pub = RedisCluster.from_url(url), RedisCluster.from_url(url)
    await sub_client.initialize()
    await pub.initialize()
    keys = Keys(f"bench-{uuid.uuid4().hex[:6]}:")
    channels = [keys.responder_channel(f"t{i % 97}", f"r{i}") for i in range(n_channels)]
    got: asyncio.Queue[float] = asyncio.Queue()
    subscriber = None
    reader = None
    if mode == "sharded":
        subscriber = Subscriber(sub_client, keys, lambda _, frame: got.put_nowait(frame["t"]))
        await subscriber.start()
        for channel in channels:
            await subscriber.subscribe(channel)
    else:
        reader = await classic_listener(sub_client, channels, got)
    padding = "x" * 450
    for i in range(20):  # warm up: every subscription answered once
        await (pub.spublish if mode == "sharded" else pub.publish)(channels[i], json.dumps({"t": time.perf_counter()}))
        await asyncio.wait_for(got.get(), 10)
    bus0, cpu0 = await counters(pub)
    latencies = []
    for start in range(0, frames, BURST):
        # Concurrent single commands, not a pipeline: the cluster client refuses PUBLISH in one.
        send = pub.spublish if mode == "sharded" else pub.publish
        await asyncio.gather(
            *(
                send(channels[i % len(channels)], json.dumps({"t": time.perf_counter(), "pad": padding}))
                for i in range(start, min(frames, start + BURST))
            )
        )
        for _ in range(min(frames, start + BURST) - start):
            sent = await asyncio.wait_for(got.get(), 10)
            latencies.append(time.perf_counter() - sent)
    bus1, cpu1 = await counters(pub)
    if subscriber is not None:
        await subscriber.stop()
    if reader is not None:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    await sub_client.aclose()
    await pub.aclose()
    latencies.sort()
    return {
        "bus_per_frame": (bus1 - bus0) / frames,
        "cpu_us_per_frame": (cpu1 - cpu0) / frames * 1e6,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1e3,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5000)
    parser.add_argument("--channels", type=int, default=300)
    args = parser.parse_args()
    cluster = RedisClusterOnLoopback()
    await asyncio.to_thread(cluster.start)
    try:
        results = {mode: await run(mode, cluster.url, args.frames, args.channels) for mode in ("classic", "sharded")}
    finally:
        await asyncio.to_thread(cluster.stop)
    print(f"{args.frames} frames, {args.channels} channels, 3 masters")
    print(f"{'':10}{'bus msgs/frame':>16}{'CPU us/frame':>14}{'p50 ms':>9}{'p99 ms':>9}")
    for mode, r in results.items():
        print(
            f"{mode:10}{r['bus_per_frame']:>16.2f}{r['cpu_us_per_frame']:>14.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
        )
    c, s = results["classic"], results["sharded"]
    print(
        f"sharded/classic: CPU {s['cpu_us_per_frame'] / c['cpu_us_per_frame']:.2f}x, "
        f"p50 {s['p50_ms'] / c['p50_ms']:.2f}x, p99 {s['p99_ms'] / c['p99_ms']:.2f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
