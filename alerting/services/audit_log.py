"""Reading a trust's audit log: filtered by person or kind of actor, action and date; as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services.exports import audit_names, audit_view
from alerting.services.trusts import get_trust
from alerting.store.models import AuditEntry

__all__ = ["Filters", "as_csv", "entries"]

# actor kind in the view -> the credential kind that starts the recorded actor string
_PREFIX = {"staff": "staff", "admin_key": "admin", "cad_key": "cad", "operator": "operator", "responder": "responder"}
_PREFIX |= {"alerter": "alerter"}


@dataclass(frozen=True, slots=True)
class Filters:
    staff_id: str | None = None
    actor_kind: str | None = None
    action: str | None = None  # exact, or a family with a trailing "." ("policy.")
    start: datetime | None = None
    end: datetime | None = None


async def entries(
    session: AsyncSession, *, trust_id: str, filters: Filters, limit: int, before_id: int | None
) -> list[dict[str, Any]]:
    await get_trust(session, trust_id)
    query = select(AuditEntry).where(AuditEntry.trust_id == trust_id)
    if filters.staff_id:
        query = query.where(AuditEntry.actor == f"staff:{trust_id}:{filters.staff_id}")
    if filters.actor_kind:
        prefix = _PREFIX.get(filters.actor_kind)
        if prefix is None:  # system entries: anything not written by a credential
            query = query.where(*(AuditEntry.actor.not_like(f"{p}:%") for p in _PREFIX.values()))
        else:
            query = query.where(AuditEntry.actor.like(f"{prefix}:%"))
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(AuditEntry.action.like(f"{filters.action}%"))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.start:
        query = query.where(AuditEntry.at >= filters.start)
    if filters.end:
        query = query.where(AuditEntry.at < filters.end)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = list((await session.execute(query.order_by(AuditEntry.id.desc()).limit(limit))).scalars())
    names = await audit_names(session, trust_id, rows)
    return [audit_view(r, names) for r in rows]


def as_csv(views: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "who", "who_kind", "who_id", "action", "what", "about", "target", "changes"])
    for v in views:
        actor = v["actor"]
        target = v.get("responder") or v["target"] or ""
        row = [v["id"], v["at"], actor["name"], actor["kind"], actor["id"], v["action"], v["what"], v["subject"]]
        writer.writerow([*row, target, "; ".join(v["changes"])])
    return out.getvalue()
