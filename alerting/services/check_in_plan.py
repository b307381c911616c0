"""The check-in of a responder who has just accepted, made in the accept's own transaction so a
crash loses none (alerting/services/check_ins.py sends it when due)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.incident import IncidentState
from alerting.store.models import CheckIn
from alerting.store.types import to_ts
from alerting.timefmt import utc


async def plan(session: AsyncSession, state: IncidentState, *, trust_id: str, responder_id: str, now: float) -> float:
    """Returns when it is due. An alert accepted again (after a withdrawal) keeps the one it has."""
    alert = state.alerts[responder_id]
    existing = await session.get(CheckIn, alert.alert_id)
    if existing is not None:
        return to_ts(existing.due_at)
    due = now + state.policy.aftercare.check_in_after_s
    session.add(
        CheckIn(
            alert_id=alert.alert_id,
            trust_id=trust_id,
            incident_id=state.id,
            responder_id=responder_id,
            due_at=utc(due),
            created_at=utc(now),
        )
    )
    return due
