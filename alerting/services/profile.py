"""The responder's own view of themselves (`GET`/`PATCH /v1/me`) and their past alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services import credentials
from alerting.services.errors import NotFound
from alerting.services.trusts import apply_profile
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit, subjects
from alerting.store.models import Alert, Incident, Responder
from alerting.timefmt import iso, utc


def _view(r: Responder) -> dict[str, Any]:
    return {
        "id": r.id,
        "trust_id": r.trust_id,
        "name": r.name,
        "groups": list(r.groups),
        "status": r.status,
        "travel_mode": r.travel_mode,
        "carries_aed": r.carries_aed,
        "language": r.language,
        "on_duty_hours": r.on_duty_hours,
    }


async def _responder(session: AsyncSession, trust_id: str, responder_id: str) -> Responder:
    r = await session.get(Responder, (trust_id, responder_id))
    if r is None:
        raise NotFound("no such responder")
    return r


async def me(session: AsyncSession, *, trust_id: str, responder_id: str, now: float) -> dict[str, Any]:
    r = await _responder(session, trust_id, responder_id)
    held = await credentials.list_for_responder(session, trust_id=trust_id, responder_id=responder_id, now=now)
    return {
        **_view(r),
        "credentials": held["credentials"],
        "required_credentials": held["required"],
        "missing_credentials": held["missing"],
    }


async def update(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, changes: dict[str, Any], actor: str
) -> dict[str, Any]:
    now = uow.services.clock()
    r = await _responder(uow.session, trust_id, responder_id)
    before = {k: getattr(r, k) for k in changes}
    apply_profile(r, changes)
    r.updated_at = utc(now)
    await audit.append(
        uow.session,
        at=utc(now),
        actor=actor,
        action="responder.profile",
        trust_id=trust_id,
        target=await subjects.target(uow.session, trust_id, responder_id),
        before=before,
        after={k: getattr(r, k) for k in changes},
    )
    return _view(r)


async def history(
    session: AsyncSession, *, trust_id: str, responder_id: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Newest first. `state` is how the alert ended for this responder; `incident_status` how the
    incident did. (`outcome`, the clinical outcome, appears once incidents record one.)"""
    rows = (
        await session.execute(
            select(Alert, Incident.category, Incident.status)
            .join(Incident, Incident.id == Alert.incident_id)
            .where(Alert.trust_id == trust_id, Alert.responder_id == responder_id)
            .order_by(Alert.alerted_at.desc(), Alert.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return [
        {
            "alert_id": a.id,
            "incident_id": a.incident_id,
            "category": category,
            "alerted_at": iso(a.alerted_at),
            "state": a.state,
            "role": a.role,
            "accepted_at": iso(a.accepted_at),
            "arrived_at": iso(a.arrived_at),
            "ended_at": iso(a.ended_at),
            "incident_status": status,
            "decline_reason": a.decline_reason,
        }
        for a, category, status in rows
    ]
