"""Location ingest: a per-responder rate gate and a group-commit batcher into the live index.

Apps report positions far more often than an alert needs them, and one round trip per position
would make Redis, not the socket, the bottleneck. The gate drops the excess (the caller answers
with an `error` frame or 429); the batcher writes what is admitted with one `upsert_many` per
trust for everything that arrived while the previous write was in flight, and each caller waits
for the write that holds its update, so a position is searchable once the call returns.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geo.index import LocationUpdate, ResponderIndex


@dataclass
class RateGate:
    """Token bucket per key: `rate_per_s` sustained, up to `burst` at once. Pure: the caller brings `now`.

    The gate is per process. A socket's updates all pass through one process, so for sockets it is
    exact; HTTP updates spread over N processes may get up to N times the rate.
    """

    rate_per_s: float
    burst: int = 1
    max_keys: int = 100_000
    _buckets: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)

    def admit(self, key: tuple[str, str], now: float) -> bool:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + max(0.0, now - at) * self.rate_per_s)
        admitted = tokens >= 1.0
        if admitted:
            tokens -= 1.0
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._forget_full(now)
        self._buckets[key] = (tokens, now)
        return admitted

    def retry_after(self) -> float:
        return 1.0 / self.rate_per_s

    def _forget_full(self, now: float) -> None:
        """Buckets that have refilled completely carry no information; drop them to bound memory."""
        refill_s = self.burst / self.rate_per_s
        for key in [k for k, (_, at) in self._buckets.items() if now - at >= refill_s]:
            del self._buckets[key]


Lookup = Callable[[str, Sequence[str]], Awaitable[Mapping[str, Any]]]  # (trust, responder ids) -> found


class LocationBatcher:
    """Group commit into the live index; a failed write fails every caller whose update it held.

    With a `lookup` (who of these responders is on their way to an incident), each batch also asks
    it, in parallel with the write, so tracking costs no round trip of its own per position."""

    def __init__(self, index: ResponderIndex, *, max_batch: int = 500, lookup: Lookup | None = None):
        self._index = index
        self._max_batch = max_batch
        self._lookup = lookup
        self._pending: list[tuple[str, LocationUpdate, asyncio.Future[tuple[bool, Any]]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, trust_id: str, update: LocationUpdate) -> bool:
        """False when the index holds no profile for the responder (so the position was not kept)."""
        return (await self.submit_looked_up(trust_id, update))[0]

    async def submit_looked_up(self, trust_id: str, update: LocationUpdate) -> tuple[bool, Any]:
        """`submit`'s answer, and what the lookup found for this responder (None: nothing, or no lookup)."""
        future: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self._pending.append((trust_id, update, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all(), name="location-batcher")
        return await future

    async def _found(self, trust_id: str, responder_ids: Sequence[str]) -> Mapping[str, Any]:
        return await self._lookup(trust_id, responder_ids) if self._lookup is not None else {}

    async def _flush_all(self) -> None:
        await asyncio.sleep(0)  # let every update already on its way join the first batch
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            by_trust: dict[str, list[LocationUpdate]] = defaultdict(list)
            for trust_id, update, _ in batch:
                by_trust[trust_id].append(update)
            writes, looks = await asyncio.gather(
                asyncio.gather(
                    *(self._index.upsert_many(t, ups) for t, ups in by_trust.items()), return_exceptions=True
                ),
                asyncio.gather(
                    *(self._found(t, [u.responder_id for u in ups]) for t, ups in by_trust.items()),
                    return_exceptions=True,
                ),
            )
            failed = {t: r for t, r in zip(by_trust, writes, strict=True) if isinstance(r, BaseException)}
            missing = {t: set(r) for t, r in zip(by_trust, writes, strict=True) if not isinstance(r, BaseException)}
            found: dict[str, Mapping[str, Any]] = {}
            for t, r in zip(by_trust, looks, strict=True):
                if isinstance(r, BaseException):
                    failed.setdefault(t, r)  # the position is kept, but the caller must hear the failure
                else:
                    found[t] = r
            for trust_id, update, future in batch:
                if future.done():
                    continue  # the caller went away (socket closed); nothing to tell
                if trust_id in failed:
                    future.set_exception(failed[trust_id])
                else:
                    rid = update.responder_id
                    future.set_result((rid not in missing[trust_id], found[trust_id].get(rid)))


@dataclass(frozen=True, slots=True)
class LocationIngest:
    """One gate and one batcher per process (the worker never uses them)."""

    gate: RateGate
    batcher: LocationBatcher
