"""`GET /v1/trusts/{trust}/coverage`: the cells where the current policy would alert nobody."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from alerting.api.deps import AdminDep, ServicesDep
from alerting.replay.history import hour_of_week as hour_of_week_of
from alerting.services import coverage

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])


@router.get("/{trust}/coverage", summary="GeoJSON of the H3 cells where nobody eligible is expected at an hour")
async def trust_coverage(
    trust: str,
    services: ServicesDep,
    who: AdminDep,
    hour_of_week: int | None = Query(
        None,
        ge=0,
        le=167,
        description="0 is Monday 00:00-00:59 UTC, 167 Sunday 23:00-23:59 UTC; default the current hour",
    ),
    location_type: Literal["public", "private", "unknown"] = Query(
        "public",
        description="The kind of place imagined at each cell: groups kept out of homes count only for `public`",
    ),
) -> dict[str, Any]:
    """A FeatureCollection of the resolution-8 H3 cells (polygons, `id` the cell) of the trust's area
    where, at that hour of the week, the density history holds no available responder whom any
    phase of the current policy (its zones included) could alert to an incident at the cell's
    centre. Beside it: `cells` (all cells of the area), `uncovered`, `snapshots` (with none, every
    cell is uncovered: the history is empty), `policy_version`. Counts only; no position is used."""
    how = hour_of_week if hour_of_week is not None else hour_of_week_of(services.clock())
    return await coverage.uncovered(services, trust_id=trust, hour_of_week=how, location_type=location_type)
