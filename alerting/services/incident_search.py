"""Finding a trust's incidents after the fact: by CAD reference, date and status, newest first.
Ended incidents stay findable here however long ago they left the live map."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services.trusts import get_trust
from alerting.store.models import Incident
from alerting.timefmt import iso

__all__ = ["Filters", "search"]


@dataclass(frozen=True, slots=True)
class Filters:
    cad_ref: str | None = None  # a part of the CAD reference, any case
    status: str | None = None
    start: datetime | None = None  # created at or after
    end: datetime | None = None  # created before
    limit: int = 50
    source: str | None = None  # vocabulary.IncidentSource


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


async def search(session: AsyncSession, *, trust_id: str, filters: Filters) -> list[dict[str, Any]]:
    await get_trust(session, trust_id)
    query = select(Incident).where(Incident.trust_id == trust_id)
    if filters.cad_ref:
        query = query.where(func.lower(Incident.cad_ref).like(_like(filters.cad_ref), escape="\\"))
    if filters.status:
        query = query.where(Incident.status == filters.status)
    if filters.source:
        query = query.where(Incident.source == filters.source)
    if filters.start:
        query = query.where(Incident.created_at >= filters.start)
    if filters.end:
        query = query.where(Incident.created_at < filters.end)
    rows = (
        await session.execute(query.order_by(Incident.created_at.desc(), Incident.id).limit(filters.limit))
    ).scalars()
    return [
        {
            "id": r.id,
            "cad_ref": r.cad_ref,
            "status": r.status,
            "source": r.source,
            "alerter_id": r.alerter_id,
            "lat": r.lat,
            "lon": r.lon,
            "category": r.category,
            "address": r.address,
            "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at),
        }
        for r in rows
    ]
