"""The CAD's endpoints: nearby counts, incident intake (native JSON, EIDO, CAP), status, changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from alerting.api.deps import CadDep, DispatcherDep, ServicesDep
from alerting.domain import incident as m
from alerting.domain.vocabulary import ErrorCode, IncidentSource, IncidentStatus
from alerting.services import auth, dispatching, incident_search, incidents
from alerting.services.errors import Invalid, ServiceError
from alerting.services.nearby import nearby_counts
from alerting.services.unit_of_work import reading, unit_of_work
from dispatch_adapter import intake
from dispatch_adapter.mappings import Action, CadMessage, MappingError, cap, eido
from dispatch_adapter.schemas import CancelIn, IncidentIn, IncidentPatch, field_error

router = APIRouter(prefix="/v1", tags=["dispatch"])


class UnsupportedMediaType(ServiceError):
    status, title = 415, "Unsupported media type"
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


def _native(body: bytes) -> CadMessage:
    try:
        report = IncidentIn.model_validate_json(body).report()
    except ValidationError as exc:
        errors = [field_error(e) for e in exc.errors()]
        raise Invalid("; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5]), extra={"errors": errors}) from exc
    return CadMessage(Action.REPORT, (report.cad_ref,), "cad_ref", report=report)


def _mapped(mapping: Callable[[bytes], CadMessage]) -> Callable[[bytes], CadMessage]:
    """A mapping's refusal becomes a 422 naming the field of the caller's document."""

    def parse(body: bytes) -> CadMessage:
        try:
            return mapping(body)
        except MappingError as exc:
            raise intake.refused(exc) from exc

    return parse


PARSERS: dict[str, Callable[[bytes], CadMessage]] = {
    "application/json": _native,
    eido.MEDIA_TYPE: _mapped(eido.read_eido),
    cap.MEDIA_TYPE: _mapped(cap.read_cap),
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
                        "place type) the position. The same incident id with a later lastUpdateTimeStamp updates "
                        "the incident (what differs: position, address, category, notes); an older one is ignored; "
                        "an incidentStatusCommonRegistryText of Cancelled or Closed ends it. See docs/cad-formats.md."
                    ),
                }
            },
            cap.MEDIA_TYPE: {
                "schema": {
                    "type": "string",
                    "description": (
                        "OASIS CAP 1.2 alert, status Actual. msgType Alert reports an incident: identifier is the "
                        "cad_ref, info/eventCode value (else info/event) the category, the first info/area/circle "
                        "centre the position (a polygon's centroid only if the trust's policy sets "
                        "cap_polygon_centroid). msgType Update changes, and Cancel cancels, the incident whose "
                        "identifier its references name (entries from the same sender); an Update no later (sent) "
                        "than the last message applied is ignored. See docs/cad-formats.md."
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
    async with reading(services) as session:
        return await nearby_counts(session, services, trust_id=cad.trust, lat=lat, lon=lon, radius_m=radius_m)


@router.post(
    "/incidents",
    status_code=201,
    openapi_extra=_INTAKE_DOC,
    summary="Report an incident (idempotent on cad_ref), or update or end it in EIDO or CAP",
    responses={
        200: {
            "description": "The incident already existed: the same cad_ref again, a later EIDO, a CAP Update or "
            "Cancel. `effect` says what the document did: `updated`, `unchanged` (later but nothing new), `ignored` "
            "(a retry, or no later than the last document applied), `cancelled` or `closed`"
        },
        404: {"description": "A CAP Update or Cancel, or an EIDO closing an incident, names no incident of the trust"},
        409: {"description": "A document changes an incident that is already cancelled or closed"},
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
    422 with `errors[0].loc` naming the field of that document (see docs/cad-formats.md). A new
    incident answers 201 with `effect` `created`.

    EIDO and CAP also change and end incidents here, through the same rules as `PATCH`, `/cancel`
    and `/close` (one timeline, the same webhooks): a re-posted EIDO with a later
    `lastUpdateTimeStamp` applies what differs, one closed or cancelled ends the incident; a CAP
    `Update` or `Cancel` acts on the incident its `references` name. These answer 200 with `effect`;
    a document naming no incident is 404 with `errors[0].loc` naming the field.

    A `callback_url` whose host resolves to a loopback, link-local, private or multicast address is
    422 unless the deployment's `ALERTING_CALLBACK_ALLOWED_HOSTS` names it; outside development it
    must be `https`. The same check runs again before every delivery."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    parser = PARSERS.get(media)
    if parser is None:
        raise UnsupportedMediaType(f"content type {media!r} is not accepted; use one of {', '.join(sorted(PARSERS))}")
    content, status = await intake.receive(services, trust_id=cad.trust, message=parser(await request.body()))
    return JSONResponse(content, status_code=status)


@router.get("/incidents", summary="The trust's incidents, newest first; `source=alerter` for raised alerts")
async def list_incidents(
    services: ServicesDep,
    cad: CadDep,
    source: Annotated[IncidentSource | None, Query(description="`cad` or `alerter` (raised by a bystander)")] = None,
    status: Annotated[IncidentStatus | None, Query()] = None,
    limit: int = Query(50, ge=1, le=500),
) -> list[dict[str, Any]]:
    """Each: `{id, cad_ref, status, source, alerter_id, lat, lon, category, address, created_at,
    updated_at}`. A raised alert's `cad_ref` is `alerter-<id>` until the CAD adopts it with
    `PATCH {cad_ref}`; one `awaiting_confirmation` waits for `POST /v1/incidents/{id}/confirm`."""
    filters = incident_search.Filters(source=source, status=status, limit=limit)
    async with reading(services) as session:
        return await incident_search.search(session, trust_id=cad.trust, filters=filters)


@router.get("/incidents/{incident_id}", summary="Status, responders and timeline")
async def get_incident(incident_id: str, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    """Each of `responders` has its `state`, `distance_m` (when alerted), `eta_s` and `statuses`
    from the scene (`{on_scene|with_patient|aed_collected|cpr_started: at}`). While a responder is
    on their way (accepted, not arrived, the incident open) `position` is their last reported
    `{lat, lon, at}` and `eta_s` is from there, at the speed of their travel mode; otherwise
    `position` is null. Positions are the live index's and go with its retention."""
    return await intake.view(services, cad.trust, incident_id)


@router.patch(
    "/incidents/{incident_id}",
    summary="Move, recategorise or annotate an incident",
    responses={409: {"description": "The incident has ended: a closed or cancelled incident cannot be changed"}},
)
async def patch_incident(incident_id: str, body: IncidentPatch, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    """A moved incident re-sends its alert, with the new position and distance, to responders still
    alerted or assigned; earlier phases are not re-run. The changes apply together or not at all:
    a point outside the trust's area is 422, and a cancelled or closed incident is 409. The new
    point is `lat`/`lon` or `easting`/`northing` (British National Grid), as at intake."""
    changes = body.changes()
    async with unit_of_work(services) as uow:
        await incidents.patch(uow, trust_id=cad.trust, incident_id=incident_id, changes=changes)
    return await intake.view(services, cad.trust, incident_id)


@router.post(
    "/incidents/{incident_id}/cancel",
    summary="Cancel: every responder still alerted or accepted is stood down (CAD key or dispatcher)",
)
async def cancel_incident(
    incident_id: str, services: ServicesDep, who: DispatcherDep, body: CancelIn | None = None
) -> dict[str, Any]:
    """Safe to retry: cancelling an incident already cancelled or closed changes nothing and answers
    its current state. A dispatcher signed in to the console must give a `reason`; the timeline
    and the audit name them."""
    if who.kind == auth.STAFF and (body is None or "reason" not in body.model_fields_set or not body.reason.strip()):
        raise Invalid("say why the incident is cancelled", extra={"errors": [{"loc": "reason", "msg": "required"}]})
    reason = body.reason.strip() if body else "cancelled by CAD"
    async with unit_of_work(services) as uow:
        await dispatching.cancel(uow, trust_id=who.trust, incident_id=incident_id, reason=reason, principal=who)
    async with reading(services) as session:
        return await incidents.view(
            session, services, trust_id=who.trust, incident_id=incident_id, with_names=who.kind == auth.STAFF
        )


@router.post("/incidents/{incident_id}/close", summary="Close: the job is over")
async def close_incident(incident_id: str, services: ServicesDep, cad: CadDep) -> dict[str, Any]:
    """Responders still alerted or assigned are stood down with reason `closed`. Safe to retry."""
    async with unit_of_work(services) as uow:
        await incidents.end(uow, trust_id=cad.trust, incident_id=incident_id, event=m.Closed(services.clock()))
    return await intake.view(services, cad.trust, incident_id)
