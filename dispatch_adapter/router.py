"""The CAD's endpoints: nearby counts, incident intake (native JSON, EIDO, CAP), status, changes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import select

from alerting.api.deps import CadDep, ServicesDep
from alerting.domain import incident as m
from alerting.domain.report import IncidentReport
from alerting.services import incidents, policies
from alerting.services.errors import Invalid, ServiceError
from alerting.store.models import Group
from dispatch_adapter.schemas import CancelIn, IncidentIn, IncidentPatch

router = APIRouter(prefix="/v1", tags=["dispatch"])


class UnsupportedMediaType(ServiceError):
    status, title = 415, "Unsupported media type"


def _native(body: bytes) -> IncidentReport:
    try:
        return IncidentIn.model_validate_json(body).report()
    except ValidationError as exc:
        errors = [{"loc": ".".join(str(p) for p in e["loc"]) or "body", "msg": e["msg"]} for e in exc.errors()]
        raise Invalid("; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5]), extra={"errors": errors}) from exc


PARSERS: dict[str, Any] = {"application/json": _native}

_INTAKE_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": IncidentIn.model_json_schema()},
            "application/eido+json": {"schema": {"type": "object", "description": "NENA/APCO EIDO 2.105.1 JSON"}},
            "application/cap+xml": {"schema": {"type": "string", "description": "OASIS CAP 1.2 alert"}},
        },
    }
}


@router.get("/nearby", summary="Whether anyone is near, without identities or positions")
async def nearby(services: ServicesDep, cad: CadDep, lat: float = Query(ge=-90, le=90, allow_inf_nan=False),
                 lon: float = Query(ge=-180, le=180, allow_inf_nan=False),
                 radius_m: float = Query(1000, ge=10, le=20_000, allow_inf_nan=False)) -> dict[str, Any]:
    """Counts, per group, the responders an incident here could alert: active, available, and with a
    position no older than the policy's `location_max_age_s`, within `radius_m` (great-circle)."""
    async with services.sessions() as session:
        _, policy = await policies.current_policy(session, cad.trust_id)
        groups = (await session.execute(select(Group.id).where(Group.trust_id == cad.trust_id))).scalars().all()
    counts = await services.index.counts_near(cad.trust_id, lat, lon, radius_m=radius_m, groups=groups,
                                              max_age_s=policy.location_max_age_s, now=services.clock())
    return {"available": sum(counts.values()) > 0, "by_group": counts}


@router.post("/incidents", status_code=201, openapi_extra=_INTAKE_DOC,
             summary="Report an incident (idempotent on cad_ref)",
             responses={200: {"description": "The same cad_ref was already reported: the existing incident"}})
async def post_incident(request: Request, services: ServicesDep, cad: CadDep) -> JSONResponse:
    """Phase 0 runs inside this request. Retrying with the same `cad_ref` answers 200 with the first
    incident and sends no new alerts. A point outside the trust's service area is refused with 422."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    parser = PARSERS.get(media)
    if parser is None:
        raise UnsupportedMediaType(f"content type {media!r} is not accepted; use one of {', '.join(sorted(PARSERS))}")
    report = parser(await request.body())
    body, created = await incidents.report(services, trust_id=cad.trust_id, report=report)
    return JSONResponse(body if created else _summary(body), status_code=201 if created else 200)


def _summary(view: dict[str, Any]) -> dict[str, Any]:
    return {"id": view["id"], "cad_ref": view["cad_ref"], "status": view["status"], "phase": view["phase"],
            "alerted": view["alerted"]}


@router.get("/incidents/{incident_id}", summary="Status, responders and timeline")
async def get_incident(incident_id: str, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    async with services.sessions() as session:
        return await incidents.view(session, services, trust_id=cad.trust_id, incident_id=incident_id)


@router.patch("/incidents/{incident_id}", summary="Move, recategorise or annotate an incident")
async def patch_incident(incident_id: str, body: IncidentPatch, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    """A moved incident re-sends its alert, with the new position and distance, to responders still
    alerted or assigned; earlier phases are not re-run."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return await incidents.patch(services, trust_id=cad.trust_id, incident_id=incident_id, changes=changes)


@router.post("/incidents/{incident_id}/cancel", summary="Cancel: every responder still alerted or accepted is stood down")
async def cancel_incident(incident_id: str, services: ServicesDep, cad: CadDep, body: CancelIn | None = None) -> dict[str, Any]:
    reason = body.reason if body else "cancelled by CAD"
    return await incidents.end(services, trust_id=cad.trust_id, incident_id=incident_id,
                               event=m.Cancelled(reason, services.clock()))


@router.post("/incidents/{incident_id}/close", summary="Close: the job is over")
async def close_incident(incident_id: str, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    return await incidents.end(services, trust_id=cad.trust_id, incident_id=incident_id, event=m.Closed(services.clock()))
