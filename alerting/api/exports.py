"""Export of one incident's record (trust admin or operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from alerting.api.deps import AdminDep, ServicesDep
from alerting.services import exports
from alerting.services.unit_of_work import unit_of_work

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])


@router.get("/{trust}/incidents/{incident_id}/export", summary="One incident's full record as JSON (audited)")
async def export_incident(trust: str, incident_id: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """The incident, its responders, timeline, webhook deliveries and audit entries, with the audit
    entry of this export among them."""
    async with unit_of_work(services) as uow:
        return await exports.export_incident(uow, trust_id=trust, incident_id=incident_id, actor=who.actor)
