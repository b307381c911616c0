"""Where there is no cover: the H3 cells of the trust's area where, at one hour of the week, the
density history holds nobody the current policy could alert. The replay engine is asked about one
imagined incident at each cell's centre; counts only, never positions. Read-only."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from alerting.replay import Model, ReplayIncident, replay
from alerting.services import policies
from alerting.services.context import Services
from alerting.services.errors import Invalid
from alerting.services.replay import density_history
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import reading
from alerting.store.models import Group
from geo.hexgrid import RESOLUTION, cell_centre, cell_polygon, cells_in_area

MONDAY = 4 * 86_400  # 1970-01-05 00:00 UTC, a Monday: hour of week 0
HOURS_PER_WEEK = 168
LOCATION_TYPES = ("public", "private", "unknown")


def at_hour_of_week(how: int) -> float:
    """A moment in that hour of the week (its middle), for the engine's hour lookup."""
    return MONDAY + how * 3600 + 1800


async def uncovered(services: Services, *, trust_id: str, hour_of_week: int, location_type: str) -> dict[str, Any]:
    if not 0 <= hour_of_week < HOURS_PER_WEEK:
        raise Invalid(
            "hour_of_week is 0 (Monday 00:00-00:59 UTC) to 167",
            extra={"errors": [{"loc": "hour_of_week", "msg": "must be 0 to 167"}]},
        )
    if location_type not in LOCATION_TYPES:
        raise Invalid(
            "location_type is public, private or unknown",
            extra={"errors": [{"loc": "location_type", "msg": "must be public, private or unknown"}]},
        )
    async with reading(services) as session:
        trust = await get_trust(session, trust_id)
        groups = dict(
            (await session.execute(select(Group.id, Group.private_locations).where(Group.trust_id == trust_id))).all()
        )
        version, policy = await policies.current_policy(session, trust_id)
        history, snapshots = await density_history(session, trust_id)
        area = trust.area
    # Every category counts here: the question is who could be alerted, not which calls alert.
    everything = replace(policy, categories=("*",))
    model = Model(acceptance={}, private_ok=groups)

    def run() -> list[tuple[str, float]]:
        cells = cells_in_area(area)
        at = at_hour_of_week(hour_of_week)
        incidents = [ReplayIncident(c, *cell_centre(c), "*", location_type, at) for c in cells]
        return [(o.incident_id, o.expected_alerts) for o in replay(incidents, everything, history, model)]

    expected = await asyncio.to_thread(run)
    empty = [cell for cell, alerts in expected if alerts <= 0.0]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": cell, "geometry": cell_polygon(cell), "properties": {"cell": cell}}
            for cell in empty
        ],
        "hour_of_week": hour_of_week,
        "location_type": location_type,
        "policy_version": version,
        "h3_resolution": RESOLUTION,
        "cells": len(expected),
        "uncovered": len(empty),
        "snapshots": snapshots,
    }
