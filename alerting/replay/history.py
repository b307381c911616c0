"""Responder density by hour of week, as the replay engine reads it: responders per m² near a cell."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import numpy as np

from geo.hexgrid import cell_area_m2, disk


def hour_of_week(ts: float) -> int:
    """0 is Monday 00:00-00:59 UTC. UTC, not local time: trusts carry no time zone yet."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.weekday() * 24 + dt.hour


class DensityHistory:
    """Mean available responders per (cell, group key) for each hour of the week.

    An hour never sampled falls back to the mean over every sampled hour, so a young history still
    answers; with no snapshot at all every density is zero. Each hour is held as a cells x keys
    matrix, so a disk of cells is summed in one array operation.
    """

    def __init__(self, snapshots: Mapping[int, int], counts: Iterable[tuple[int, str, str, float]]):
        self._snapshots = {h: n for h, n in snapshots.items() if n > 0}
        per_how: dict[int, dict[tuple[str, str], float]] = defaultdict(dict)
        pooled: dict[tuple[str, str], float] = {}
        for how, cell, key, observations in counts:
            if how not in self._snapshots:
                continue
            mean = per_how[how]
            mean[(cell, key)] = mean.get((cell, key), 0.0) + observations / self._snapshots[how]
            pooled[(cell, key)] = pooled.get((cell, key), 0.0) + observations
        total = sum(self._snapshots.values())
        self._keys = sorted({k for _, k in pooled})
        self._grids = {h: self._grid(means) for h, means in per_how.items()}
        self._pooled = self._grid({ck: v / total for ck, v in pooled.items()}) if total else self._grid({})
        self._empty = self._grid({})
        self._cache: dict[tuple[int, str, int], dict[str, float]] = {}
        self._areas: dict[tuple[str, int], float] = {}

    def _grid(self, means: Mapping[tuple[str, str], float]) -> tuple[dict[str, int], np.ndarray]:
        column = {k: i for i, k in enumerate(self._keys)}
        rows: dict[str, int] = {}
        for cell, _ in means:
            rows.setdefault(cell, len(rows))
        matrix = np.zeros((len(rows) + 1, len(self._keys)))  # the last row stays zero: cells never seen
        for (cell, key), mean in means.items():
            matrix[rows[cell], column[key]] += mean
        return rows, matrix

    def density(self, how: int, cell: str, rings: int) -> dict[str, float]:
        """Responders per m² by group key, averaged over the hexagon disk of `rings` around `cell`."""
        how = how if how in self._snapshots else -1
        key = (how, cell, rings)
        found = self._cache.get(key)
        if found is None:
            cells = disk(cell, rings)
            area = self._areas.get((cell, rings))
            if area is None:
                area = self._areas[(cell, rings)] = sum(cell_area_m2(c) for c in cells)
            # A sampled hour with no row had nobody available; an unsampled one borrows the pooled mean.
            rows, matrix = self._grids.get(how, self._empty) if how >= 0 else self._pooled
            zero = len(rows)
            sums = matrix[[rows.get(c, zero) for c in cells]].sum(axis=0)
            found = {k: float(v) / area for k, v in zip(self._keys, sums, strict=True) if v > 0}
            self._cache[key] = found
        return found
