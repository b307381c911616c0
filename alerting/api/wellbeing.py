"""The trust's wellbeing queue: responders who answered a check-in saying they need to talk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from alerting.api.deps import AdminDep, ServicesDep
from alerting.services import check_ins
from alerting.services.unit_of_work import reading

router = APIRouter(prefix="/v1/trusts", tags=["wellbeing"])


@router.get("/{trust}/wellbeing", summary="Responders who need to talk after an alert (verifier, admin)")
async def wellbeing_queue(
    trust: str, services: ServicesDep, who: AdminDep, limit: int = Query(200, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """`[{alert_id, incident_id, cad_ref, responder_id, name, feeling, answered_at, answers:
    [{question, answer}]}]`, newest first. Private to the trust: its verifiers and admins."""
    async with reading(services) as session:
        return await check_ins.queue(session, trust_id=trust, limit=limit)
