"""The CAD's endpoints: nearby counts, incident intake (native JSON, EIDO, CAP), status, changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import select

from alerting.api.deps import CadDep, ServicesDep
from alerting.domain import incident as m
from alerting.domain.report import IncidentReport
from alerting.domain.vocabulary import ErrorCode
from alerting.services import callback_guard, incidents, policies
from alerting.services.errors import Invalid, ServiceError
from alerting.store.models import Group
from dispatch_adapter.mappings import MappingError, cap, eido
from dispatch_adapter.schemas import CancelIn, IncidentIn, IncidentPatch

router = APIRouter(prefix="/v1", tags=["dispatch"])


class UnsupportedMediaType(ServiceError):
    status, title = 415, "Unsupported media type"
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


def _native(body: bytes) -> IncidentReport:
    try:
        return IncidentIn.model_validate_json(body).report()
    except ValidationError as exc:
        errors = [{"loc": ".".join(str(p) for p in e["loc"]) or "body", "msg": e["msg"]} for e in exc.errors()]
        raise Invalid("; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5]), extra={"errors": errors}) from exc


def _mapped(mapping: Callable[[bytes], IncidentReport]) -> Callable[[bytes], IncidentReport]:
    """A mapping's refusal becomes a 422 naming the field of the caller's document."""

    def parse(body: bytes) -> IncidentReport:
        try:
            return mapping(body)
        except MappingError as exc:
            raise Invalid(str(exc), extra={"errors": [{"loc": exc.field, "msg": exc.problem}]}) from exc

    return parse


PARSERS: dict[str, Callable[[bytes], IncidentReport]] = {
    "application/json": _native,
    eido.MEDIA_TYPE: _mapped(eido.map_eido),
    cap.MEDIA_TYPE: _mapped(cap.map_cap),
}

_INTAKE_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": IncidentIn.model_json_schema()},
            eido.MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "description": (
                        "NENA STA-021 EIDO JSON: incidentComponent[0].incidentTrackingIdentifier (else the "
                        "top-level incidentTrackingIdentifier, else the EIDO's $id) is the cad_ref, "
                        "incidentTypeInternalCode (else incidentTypeCommonRegistryText, else `unknown`) the "
                        "category, and the referenced locationComponent's (or locationInformationComponent's) "
                        "PIDF-LO locationByValue (gml:Point, gml:coordinates or circle centre, civic address, PLC "
                        "place type) the position. See docs/cad-formats.md."
                    ),
                }
            },
            cap.MEDIA_TYPE: {
                "schema": {
                    "type": "string",
                    "description": (
                        "OASIS CAP 1.2 alert, status Actual and msgType Alert: identifier is the cad_ref, "
                        "info/eventCode value (else info/event) the category, the first info/area/circle centre "
                        "the position. See docs/cad-formats.md."
                    ),
                }
            },
        },
    }
}


@router.get("/nearby", summary="Whether anyone is near, without identities or positions")
async def nearby(
    services: ServicesDep,
    cad: CadDep,
    lat: float = Query(ge=-90, le=90, allow_inf_nan=False),
    lon: float = Query(ge=-180, le=180, allow_inf_nan=False),
    radius_m: float = Query(1000, ge=10, le=20_000, allow_inf_nan=False),
) -> dict[str, Any]:
    """Counts, per group, the responders an incident here could alert: active, available, and with a
    position no older than the policy's `location_max_age_s`, within `radius_m` (great-circle)."""
    async with services.sessions() as session:
        _, policy = await policies.current_policy(session, cad.trust)
        groups = (await session.execute(select(Group.id).where(Group.trust_id == cad.trust))).scalars().all()
    counts = await services.index.counts_near(
        cad.trust,
        lat,
        lon,
        radius_m=radius_m,
        groups=groups,
        max_age_s=policy.location_max_age_s,
        now=services.clock(),
    )
    return {"available": sum(counts.values()) > 0, "by_group": counts}


@router.post(
    "/incidents",
    status_code=201,
    openapi_extra=_INTAKE_DOC,
    summary="Report an incident (idempotent on cad_ref)",
    responses={
        200: {"description": "The same cad_ref was already reported: the existing incident"},
        415: {"description": "A content type other than the three accepted"},
        422: {"description": "Invalid payload, or a point outside the service area; `errors` names each bad field"},
    },
)
async def post_incident(request: Request, services: ServicesDep, cad: CadDep) -> JSONResponse:
    """Phase 0 runs inside this request. Retrying with the same `cad_ref` answers 200 with the first
    incident and sends no new alerts, however many retries race. A point outside the trust's service
    area is refused with 422.

    The body is native JSON, EIDO JSON (`application/eido+json`) or CAP 1.2 (`application/cap+xml`),
    chosen by `Content-Type`; any other type is 415. A standard document that cannot be mapped is
    422 with `errors[0].loc` naming the field of that document (see docs/cad-formats.md).

    A `callback_url` whose host resolves to a loopback, link-local, private or multicast address is
    422 unless the deployment's `ALERTING_CALLBACK_ALLOWED_HOSTS` names it; outside development it
    must be `https`. The same check runs again before every delivery."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    parser = PARSERS.get(media)
    if parser is None:
        raise UnsupportedMediaType(f"content type {media!r} is not accepted; use one of {', '.join(sorted(PARSERS))}")
    report = parser(await request.body())
    if report.callback_url is not None:
        if reason := await callback_guard.refusal(report.callback_url, services.settings):
            raise Invalid(reason, extra={"errors": [{"loc": "callback_url", "msg": reason}]})
    body, created = await incidents.report(services, trust_id=cad.trust, report=report)
    return JSONResponse(body if created else _summary(body), status_code=201 if created else 200)


def _summary(view: dict[str, Any]) -> dict[str, Any]:
    summary = {k: view[k] for k in ("id", "cad_ref", "status", "phase", "alerted")}
    if view.get("reason") is not None:
        summary |= {"reason": view["reason"], "reason_code": view["reason_code"]}
    return summary


@router.get("/incidents/{incident_id}", summary="Status, responders and timeline")
async def get_incident(incident_id: str, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    async with services.sessions() as session:
        return await incidents.view(session, services, trust_id=cad.trust, incident_id=incident_id)


@router.patch("/incidents/{incident_id}", summary="Move, recategorise or annotate an incident")
async def patch_incident(incident_id: str, body: IncidentPatch, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    """A moved incident re-sends its alert, with the new position and distance, to responders still
    alerted or assigned; earlier phases are not re-run. The changes apply together or not at all:
    a point outside the trust's area is 422, and a cancelled or closed incident is 409."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return await incidents.patch(services, trust_id=cad.trust, incident_id=incident_id, changes=changes)


@router.post(
    "/incidents/{incident_id}/cancel", summary="Cancel: every responder still alerted or accepted is stood down"
)
async def cancel_incident(
    incident_id: str, services: ServicesDep, cad: CadDep, body: CancelIn | None = None
) -> dict[str, Any]:
    """Safe to retry: cancelling an incident already cancelled or closed changes nothing and answers
    its current state."""
    reason = body.reason if body else "cancelled by CAD"
    return await incidents.end(
        services, trust_id=cad.trust, incident_id=incident_id, event=m.Cancelled(reason, services.clock())
    )


@router.post("/incidents/{incident_id}/close", summary="Close: the job is over")
async def close_incident(incident_id: str, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    """Responders still alerted or assigned are stood down with reason `closed`. Safe to retry."""
    return await incidents.end(services, trust_id=cad.trust, incident_id=incident_id, event=m.Closed(services.clock()))
