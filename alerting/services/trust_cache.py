"""Per-process cache of prepared service areas: parsing and preparing a polygon once per trust."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services.errors import NotFound
from alerting.store.models import Trust
from geo.areas import ServiceArea

_areas: dict[str, ServiceArea] = {}


async def trust_area(session: AsyncSession, trust_id: str) -> ServiceArea:
    area = _areas.get(trust_id)
    if area is None:
        trust = await session.get(Trust, trust_id)
        if trust is None:
            raise NotFound("no such trust")
        area = _areas[trust_id] = ServiceArea.from_geojson(trust.area)
    return area
