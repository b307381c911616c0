"""The rate gate and the group-commit batcher, without I/O."""

from __future__ import annotations

import asyncio

import pytest

from alerting.services.location_ingest import LocationBatcher, RateGate
from geo.index import LocationUpdate


def test_gate_admits_the_rate_and_drops_the_excess():
    gate = RateGate(rate_per_s=1.0, burst=1)
    key = ("t", "r")
    assert gate.admit(key, 100.0)
    assert not gate.admit(key, 100.5)
    assert gate.admit(key, 101.0)  # the dropped one did not cost a token
    assert not gate.admit(key, 101.9)
    assert gate.admit(("t", "other"), 101.9)  # per responder


def test_gate_burst_then_sustained_rate():
    gate = RateGate(rate_per_s=2.0, burst=3)
    key = ("t", "r")
    assert [gate.admit(key, 10.0) for _ in range(4)] == [True, True, True, False]
    assert gate.admit(key, 10.5) and not gate.admit(key, 10.5)


def test_gate_forgets_full_buckets_to_bound_memory():
    gate = RateGate(rate_per_s=1.0, burst=1, max_keys=10)
    for i in range(10):
        gate.admit(("t", str(i)), 0.0)
    gate.admit(("t", "new"), 5.0)  # every old bucket refilled long ago
    assert len(gate._buckets) == 1
    assert not gate.admit(("t", "new"), 5.1)


class RecordingIndex:
    def __init__(self, fail_for: str | None = None):
        self.calls: list[tuple[str, list[str]]] = []
        self.fail_for = fail_for
        self.release = asyncio.Event()

    async def upsert_many(self, trust: str, updates: list[LocationUpdate]) -> list[str]:
        self.calls.append((trust, [u.responder_id for u in updates]))
        await self.release.wait()
        if trust == self.fail_for:
            raise ConnectionError("redis went away")
        return [u.responder_id for u in updates if u.responder_id.startswith("unknown")]


def update(rid: str) -> LocationUpdate:
    return LocationUpdate(rid, 53.8, -1.5, None, 0.0)


async def test_updates_arriving_during_a_write_share_the_next_one():
    index = RecordingIndex()
    batcher = LocationBatcher(index, max_batch=100)
    first = asyncio.create_task(batcher.submit("a", update("r1")))
    while not index.calls:
        await asyncio.sleep(0)
    later = [asyncio.create_task(batcher.submit(t, update(r))) for t, r in [("a", "r2"), ("b", "r3"), ("a", "r4")]]
    await asyncio.sleep(0)
    index.release.set()
    assert await asyncio.wait_for(asyncio.gather(first, *later), 5) == [True, True, True, True]
    assert index.calls == [("a", ["r1"]), ("a", ["r2", "r4"]), ("b", ["r3"])]


async def test_a_responder_the_index_does_not_know_is_reported_to_its_caller():
    index = RecordingIndex()
    index.release.set()
    batcher = LocationBatcher(index, max_batch=100)
    known, unknown = await asyncio.gather(batcher.submit("a", update("r1")), batcher.submit("a", update("unknown-1")))
    assert (known, unknown) == (True, False)


async def test_a_failed_write_fails_its_callers_only():
    index = RecordingIndex(fail_for="bad")
    index.release.set()
    batcher = LocationBatcher(index, max_batch=100)
    good = asyncio.create_task(batcher.submit("good", update("r1")))
    bad = asyncio.create_task(batcher.submit("bad", update("r2")))
    await asyncio.wait({good, bad}, timeout=5)
    assert good.result() is True
    with pytest.raises(ConnectionError):
        bad.result()


async def test_batches_are_capped():
    index = RecordingIndex()
    index.release.set()
    batcher = LocationBatcher(index, max_batch=2)
    await asyncio.wait_for(asyncio.gather(*(batcher.submit("a", update(f"r{i}")) for i in range(5))), 5)
    assert [len(ids) for _, ids in index.calls] == [2, 2, 1]


async def test_each_batch_asks_the_lookup_once_per_trust_and_each_caller_hears_its_own_answer():
    index = RecordingIndex()
    index.release.set()
    asked: list[tuple[str, list[str]]] = []

    async def lookup(trust: str, ids):
        asked.append((trust, list(ids)))
        return {rid: f"{trust}/{rid} on the way" for rid in ids if rid == "r2"}

    batcher = LocationBatcher(index, max_batch=100, lookup=lookup)
    answers = await asyncio.gather(
        batcher.submit_looked_up("a", update("r1")),
        batcher.submit_looked_up("a", update("r2")),
        batcher.submit_looked_up("b", update("unknown-3")),
    )
    assert answers == [(True, None), (True, "a/r2 on the way"), (False, None)]
    assert asked == [("a", ["r1", "r2"]), ("b", ["unknown-3"])]
    assert await batcher.submit("a", update("r2")) is True  # plain submit: only whether it was kept


async def test_a_failed_lookup_fails_the_callers_of_that_trust():
    index = RecordingIndex()
    index.release.set()

    async def lookup(trust: str, ids):
        raise ConnectionError("redis went away")

    batcher = LocationBatcher(index, max_batch=100, lookup=lookup)
    with pytest.raises(ConnectionError):
        await batcher.submit_looked_up("a", update("r1"))
