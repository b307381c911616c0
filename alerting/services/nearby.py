"""Whether anyone is near a point, for a CAD deciding whether to ask: counts by group, no identities."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services import policies
from alerting.services.context import Services
from alerting.store.models import Group


async def nearby_counts(
    session: AsyncSession, services: Services, *, trust_id: str, lat: float, lon: float, radius_m: float
) -> dict[str, Any]:
    """Active, available responders with a position no older than the policy's `location_max_age_s`,
    within `radius_m` (great-circle), counted per group."""
    _, policy = await policies.current_policy(session, trust_id)
    groups = (await session.execute(select(Group.id).where(Group.trust_id == trust_id))).scalars().all()
    counts = await services.index.counts_near(
        trust_id,
        lat,
        lon,
        radius_m=radius_m,
        groups=groups,
        max_age_s=policy.location_max_age_s,
        now=services.clock(),
    )
    return {"available": sum(counts.values()) > 0, "by_group": counts}
