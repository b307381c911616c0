"""Operator and trust-admin endpoints: trusts, groups, responders, tokens, policy, AEDs, audit."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from alerting.api.deps import AdminDep, OperatorDep, ServicesDep
from alerting.api.documented import declare
from alerting.api.schemas import GroupIn, PolicyIn, ResponderIn, ResponderPatch, TrustCreated, TrustIn
from alerting.domain.documents import Instant
from alerting.domain.vocabulary import ErrorCode
from alerting.services import audit_log, policies, trusts, withdrawal
from alerting.services.errors import ServiceError
from alerting.services.unit_of_work import reading, unit_of_work
from alerting.timefmt import iso
from geo.aed_register import Fields
from geo.aed_register import Format as RegisterFormat

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])


class UnsupportedMediaType(ServiceError):
    status, title = 415, "Unsupported media type"
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


@router.post("", status_code=201, response_model=TrustCreated, summary="Create a trust (operator)")
async def create_trust(body: TrustIn, services: ServicesDep, who: OperatorDep) -> dict[str, Any]:
    """Returns the trust's admin key and CAD key. They are shown once and stored hashed."""
    async with unit_of_work(services) as uow:
        return await trusts.create_trust(uow, name=body.name, area=body.area, actor=who.actor)


@router.get("/{trust}", summary="A trust's name and service area")
async def get_trust(trust: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        t = await trusts.get_trust(session, trust)
        return {
            "id": t.id,
            "name": t.name,
            "area": t.area,
            "created_at": iso(t.created_at),
            "alerter_callback_url": (t.settings or {}).get("alerter_callback_url"),
        }


@router.post("/{trust}/groups", status_code=201, summary="Create a responder group", responses=declare(409))
async def create_group(trust: str, body: GroupIn, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with unit_of_work(services) as uow:
        return await trusts.create_group(uow, trust_id=trust, body=body.model_dump(), actor=who.actor)


@router.get("/{trust}/groups", summary="The trust's groups")
async def list_groups(trust: str, services: ServicesDep, who: AdminDep) -> list[dict[str, Any]]:
    async with reading(services) as session:
        return await trusts.list_groups(session, trust_id=trust)


@router.post("/{trust}/responders", status_code=201, summary="Register a responder", responses=declare(409))
async def create_responder(trust: str, body: ResponderIn, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with unit_of_work(services) as uow:
        return await trusts.create_responder(uow, trust_id=trust, body=body.model_dump(), actor=who.actor)


@router.get("/{trust}/responders", summary="List or search responders")
async def list_responders(
    trust: str,
    services: ServicesDep,
    who: AdminDep,
    q: str | None = Query(None, max_length=100),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31 - 1),
) -> list[dict[str, Any]]:
    async with reading(services) as session:
        return await trusts.list_responders(session, trust_id=trust, q=q, limit=limit, offset=offset)


@router.get("/{trust}/responders/{rid}", summary="One responder")
async def get_responder(trust: str, rid: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        return await trusts.get_responder(session, trust_id=trust, responder_id=rid)


@router.patch(
    "/{trust}/responders/{rid}",
    summary="Change groups, skills or status (active|suspended)",
    description="Suspension takes effect at once: the responder's open alerts are stood down (reason "
    "`withdrawn`), their sockets closed with code 4410, and their token refused until reinstated.",
)
async def patch_responder(
    trust: str, rid: str, body: ResponderPatch, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    changes = body.changes()
    async with unit_of_work(services) as uow:
        changed = await trusts.patch_responder(uow, trust_id=trust, responder_id=rid, changes=changes, actor=who.actor)
    if (
        "status" in changes and changed["status"] != "active"
    ):  # suspension bites at once: open alerts stood down, sockets closed
        async with unit_of_work(services) as uow:
            await withdrawal.withdraw(uow, trust_id=trust, responder_id=rid)
    return changed


@router.delete(
    "/{trust}/responders/{rid}",
    status_code=204,
    summary="Erase a responder and their location history",
    description="Their open alerts are stood down (reason `withdrawn`) and their sockets closed with code 4410.",
)
async def delete_responder(trust: str, rid: str, services: ServicesDep, who: AdminDep) -> Response:
    async with unit_of_work(services) as uow:
        await trusts.delete_responder(uow, trust_id=trust, responder_id=rid, actor=who.actor)
    async with unit_of_work(services) as uow:  # the token went with the responder; alerts and sockets go now
        await withdrawal.withdraw(uow, trust_id=trust, responder_id=rid)
    return Response(status_code=204)


@router.post("/{trust}/responders/{rid}/tokens", status_code=201, summary="Issue a responder token (shown once)")
async def issue_token(trust: str, rid: str, services: ServicesDep, who: AdminDep) -> dict[str, str]:
    async with unit_of_work(services) as uow:
        token = await trusts.issue_responder_token(uow, trust_id=trust, responder_id=rid, actor=who.actor)
    return {"token": token}


@router.get("/{trust}/policy", summary="The current policy and its version")
async def get_policy(trust: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        return await policies.current_view(session, trust_id=trust)


@router.put("/{trust}/policy", summary="Replace the policy (validated, versioned, audited)")
async def put_policy(trust: str, body: PolicyIn, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """Takes effect for incidents that arrive after it. The response carries the new version and any
    warnings (for example a later phase with a smaller radius than an earlier one)."""
    doc = body.model_dump(exclude_none=True)
    async with unit_of_work(services) as uow:
        version, warnings = await policies.replace(uow, trust_id=trust, body=doc, actor=who.actor)
    return {**doc, "version": version, "warnings": warnings}


@router.post("/{trust}/policy/changes", summary="What saving this policy would change, without saving it")
async def preview_policy(trust: str, body: PolicyIn, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """`{version, changes, warnings}`: `changes` lists, one line per field in the audit's words
    ("phase 'trusted' radius 200 → 300 m", "accept limit 2 → 1"), what a `PUT` of the same document
    would change against the current `version` (empty: nothing). A document `PUT` would refuse is
    refused here the same way (422 naming each field). Nothing is saved or audited: the console
    shows this and asks to confirm before it saves."""
    async with reading(services) as session:
        return await policies.preview(session, trust_id=trust, body=body.model_dump(exclude_none=True))


AED_FORMATS: dict[str, RegisterFormat] = {
    "application/geo+json": "json",
    "application/json": "json",
    "text/csv": "csv",
    "application/csv": "csv",
}
_AED_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/geo+json": {
                "schema": {
                    "type": "object",
                    "description": "FeatureCollection of Points with any properties (a register as published)",
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "GeoJSON as above, or an OpenStreetMap Overpass API answer (`elements`; ways "
                    "and relations need `out center`)",
                }
            },
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "A header row; Latitude and Longitude columns, or Easting and Northing (British "
                    "National Grid)",
                }
            },
        },
    }
}
_FIELD = "The property (or CSV column) that holds the AED's {what}; by default {default}"


@router.put(
    "/{trust}/aeds",
    openapi_extra=_AED_DOC,
    summary="Replace the trust's public defibrillators (GeoJSON, CSV or OpenStreetMap Overpass JSON)",
)
async def put_aeds(
    trust: str,
    request: Request,
    services: ServicesDep,
    who: AdminDep,
    id_field: str | None = Query(
        None,
        min_length=1,
        max_length=100,
        description=_FIELD.format(
            what="id",
            default="`id`, else the feature's own id (`@id`, OpenStreetMap `node/123`), else one made from its position",
        ),
    ),
    name_field: str | None = Query(
        None,
        min_length=1,
        max_length=100,
        description=_FIELD.format(what="name", default="`name`, else `Location`, else `defibrillator:location`"),
    ),
    access_field: str | None = Query(
        None,
        min_length=1,
        max_length=100,
        description=_FIELD.format(what="access rule", default="`access` (`private` and `no` are never offered)"),
    ),
    hours_field: str | None = Query(
        None,
        min_length=1,
        max_length=100,
        description=_FIELD.format(what="opening hours (OpenStreetMap syntax)", default="`opening_hours`"),
    ),
) -> dict[str, Any]:
    """All or nothing: a file with any bad feature (not a Point, coordinates out of range, a duplicate
    id) answers 422 with `errors: [{index, id, message}]` and changes nothing; what an alert can live
    with (unreadable opening hours, an over-long name) is listed in `warnings`. Each alert then carries
    the nearest AED within `ALERTING_AED_MAX_DISTANCE_M` (default 2,000 m) that is not private and is
    open at the incident's time in the policy's `time_zone` (docs/aeds.md)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = AED_FORMATS.get(media)
    if fmt is None:
        raise UnsupportedMediaType(
            f"content type {media or 'none'!r} is not accepted; use application/geo+json, application/json or text/csv"
        )
    fields = Fields(id=id_field, name=name_field, access=access_field, hours=hours_field)
    content = await request.body()
    async with unit_of_work(services) as uow:
        return await trusts.put_aeds(uow, trust_id=trust, content=content, fmt=fmt, fields=fields, actor=who.actor)


@router.get(
    "/{trust}/audit",
    summary="The trust's audit log, newest first (JSON, or CSV with Accept: text/csv)",
    responses={200: {"content": {"text/csv": {}}}},
)
async def list_audit(
    trust: str,
    request: Request,
    services: ServicesDep,
    who: AdminDep,
    limit: int = Query(100, ge=1, le=10_000),
    before_id: int | None = Query(None, ge=1, le=2**31 - 1),  # the id column is a 32-bit integer
    staff_id: str | None = Query(None, max_length=64, description="Only what this person did"),
    actor_kind: Literal["staff", "admin_key", "cad_key", "operator", "responder", "alerter", "system"] | None = None,
    action: str | None = Query(None, max_length=64, description='An action ("policy.update") or family ("policy.")'),
    start: Annotated[Instant | None, Query(alias="from", description="From this time (RFC 3339), inclusive")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Before this time (RFC 3339)")] = None,
) -> Any:
    """Each entry names who acted as `actor: {kind, id, name}` (a staff member by the name they had
    then) and lists `changes` in words, field by field ("phase 'trusted' radius 200 → 300 m")."""
    filters = audit_log.Filters(staff_id, actor_kind, action, start, end)
    async with reading(services) as session:
        views = await audit_log.entries(session, trust_id=trust, filters=filters, limit=limit, before_id=before_id)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(
            audit_log.as_csv(views),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="audit-{trust}.csv"'},
        )
    return views
