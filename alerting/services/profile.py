"""The responder's own view of themselves (`GET`/`PATCH /v1/me`) and their past alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.aftercare import Aftercare
from alerting.services import credentials, policies
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
    incident did; `outcome` and `outcome_text` what became of the patient, for an alert they
    accepted, once the CAD has said and where the trust shares it (its policy now)."""
    aftercare = (await policies.current_policy(session, trust_id))[1].aftercare
    rows = (
        await session.execute(
            select(Alert, Incident.category, Incident.status, Incident.outcome)
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
            **_outcome(aftercare, outcome if a.accepted_at is not None else None),
        }
        for a, category, status, outcome in rows
    ]


def _outcome(aftercare: Aftercare, outcome: str | None) -> dict[str, str | None]:
    if outcome is None or not aftercare.share_outcome:
        return {"outcome": None, "outcome_text": None}
    return {"outcome": outcome, "outcome_text": aftercare.outcome_text(outcome)}
