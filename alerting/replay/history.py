"""Responder density by hour of week, as the replay engine reads it: responders per m² near a cell."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from geo.hexgrid import cell_area_m2, disk

HOURS_PER_WEEK = 168


def hour_of_week(ts: float) -> int:
    """0 is Monday 00:00-00:59 UTC. UTC, not local time: trusts carry no time zone yet."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.weekday() * 24 + dt.hour


class DensityHistory:
    """Mean available responders per (cell, group key) for each hour of the week.

    An hour never sampled falls back to the mean over every sampled hour, so a young history still
    answers; with no snapshot at all every density is zero.
    """

    def __init__(self, snapshots: Mapping[int, int], counts: Iterable[tuple[int, str, str, float]]):
        self._snapshots = {h: n for h, n in snapshots.items() if n > 0}
        sums: dict[int, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        pooled: dict[str, dict[str, float]] = defaultdict(dict)
        for how, cell, key, observations in counts:
            if how not in self._snapshots:
                continue
            by_key = sums[how][cell]
            by_key[key] = by_key.get(key, 0.0) + observations / self._snapshots[how]
            pooled[cell][key] = pooled[cell].get(key, 0.0) + observations
        total = sum(self._snapshots.values())
        self._pooled = {c: {k: v / total for k, v in ks.items()} for c, ks in pooled.items()} if total else {}
        self._by_how = {h: dict(cells) for h, cells in sums.items()}
        self._cache: dict[tuple[int, str, int], dict[str, float]] = {}

    @property
    def empty(self) -> bool:
        return not self._snapshots

    def _cells(self, how: int) -> Mapping[str, Mapping[str, float]]:
        return self._by_how.get(how, {}) if how in self._snapshots else self._pooled

    def density(self, how: int, cell: str, rings: int) -> dict[str, float]:
        """Responders per m² by group key, averaged over the hexagon disk of `rings` around `cell`."""
        how = how if how in self._snapshots else -1
        key = (how, cell, rings)
        found = self._cache.get(key)
        if found is None:
            cells = self._cells(how)
            area = 0.0
            found = {}
            for c in disk(cell, rings):
                area += cell_area_m2(c)
                for group_key, mean in cells.get(c, {}).items():
                    found[group_key] = found.get(group_key, 0.0) + mean
            found = {k: v / area for k, v in found.items()}
            self._cache[key] = found
        return found
