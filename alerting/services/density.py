"""Density history: each run counts the available responders of every trust per H3 cell, group set
and hour of week. Positions go from the live index straight into counts; none is written anywhere."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.replay.history import hour_of_week
from alerting.services import credentials, policies
from alerting.services.context import Services
from alerting.services.unit_of_work import reading, unit_of_work
from alerting.store.models import DensityCount, DensitySlot, Group, Responder, Trust
from geo.areas import ServiceArea
from geo.hexgrid import aggregate
from geo.snapshot import covering_circle, snapshot


def _insert(session: AsyncSession):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def _add(session: AsyncSession, *, trust_id: str, how: int, counts: Mapping[tuple[str, str], int]) -> None:
    """One more snapshot in this hour of the week, and its counts, added in one statement each."""
    insert = _insert(session)
    slot = insert(DensitySlot).values(trust_id=trust_id, hour_of_week=how, snapshots=1)
    await session.execute(
        slot.on_conflict_do_update(
            index_elements=["trust_id", "hour_of_week"], set_={"snapshots": DensitySlot.snapshots + 1}
        )
    )
    if not counts:
        return
    rows = [
        {"trust_id": trust_id, "hour_of_week": how, "cell": cell, "groups": key, "observations": n}
        for (cell, key), n in sorted(counts.items())
    ]
    stmt = insert(DensityCount).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["trust_id", "hour_of_week", "cell", "groups"],
            set_={"observations": DensityCount.observations + stmt.excluded.observations},
        )
    )


async def record_trust(services: Services, *, trust_id: str, now: float) -> int:
    """Take one snapshot of a trust; returns how many available responders it counted."""
    async with reading(services) as session:
        trust = await session.get(Trust, trust_id)
        if trust is None:
            return 0
        groups = list((await session.execute(select(Group.id).where(Group.trust_id == trust_id))).scalars())
        registered = (
            await session.execute(select(func.count()).select_from(Responder).where(Responder.trust_id == trust_id))
        ).scalar_one()
        _, policy = await policies.current_policy(session, trust_id)
    centre, radius = covering_circle(ServiceArea.from_geojson(trust.area))
    seen = await snapshot(
        services.index,
        trust_id,
        centre=centre,
        radius_m=radius,
        groups=groups,
        limit=registered,
        max_age_s=policy.location_max_age_s,
        now=now,
    )
    async with reading(services) as session:
        # Who could not have been alerted (a required credential expired or missing) is not density.
        lacking = await credentials.lacking(
            session,
            trust_id=trust_id,
            responder_ids=[s.responder_id for s in seen],
            required=await credentials.required_kinds(session, trust_id),
            now=now,
        )
    seen = [s for s in seen if s.responder_id not in lacking]
    counts = aggregate((s.lat, s.lon, s.groups) for s in seen)
    async with unit_of_work(services) as uow:
        await _add(uow.session, trust_id=trust_id, how=hour_of_week(now), counts=counts)
    return len(seen)


async def record_all(services: Services, *, now: float) -> int:
    """Snapshot every trust; returns the number of trusts sampled."""
    async with reading(services) as session:
        trust_ids = list((await session.execute(select(Trust.id).order_by(Trust.id))).scalars())
    for trust_id in trust_ids:
        await record_trust(services, trust_id=trust_id, now=now)
    return len(trust_ids)
