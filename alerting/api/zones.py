"""Trust admin endpoints for policy zones: upload a KML/KMZ/GeoJSON file, download the zones."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from alerting.api.deps import AdminDep, ServicesDep
from alerting.api.documented import declare
from alerting.domain.vocabulary import ErrorCode
from alerting.services import zones
from alerting.services.errors import ServiceError
from alerting.services.unit_of_work import reading, unit_of_work

router = APIRouter(prefix="/v1/trusts", tags=["zones"])

KML = "application/vnd.google-earth.kml+xml"
KMZ = "application/vnd.google-earth.kmz"
GEOJSON = "application/geo+json"
FORMATS: dict[str, zones.Format] = {
    KML: "kml",
    "application/xml": "kml",
    "text/xml": "kml",
    KMZ: "kmz",
    "application/zip": "kmz",
    GEOJSON: "geojson",
    "application/json": "geojson",
}


class UnsupportedMediaType(ServiceError):
    status, title = 415, "Unsupported media type"
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            KML: {
                "schema": {
                    "type": "string",
                    "description": "KML 2.2: one Placemark per zone (Polygon or "
                    "MultiGeometry of Polygons); ExtendedData `phases` (JSON list) and `accept_limit`",
                }
            },
            KMZ: {"schema": {"type": "string", "format": "binary", "description": "zipped KML (doc.kml)"}},
            GEOJSON: {
                "schema": {
                    "type": "object",
                    "description": "FeatureCollection; properties `name`, `phases`, `accept_limit`",
                }
            },
        },
    }
}


@router.put(
    "/{trust}/policy/zones",
    openapi_extra=_UPLOAD_DOC,
    summary="Replace the policy's zones from a KML, KMZ or GeoJSON file (a new policy version)",
    responses=declare(409),
)
async def put_zones(
    trust: str,
    request: Request,
    services: ServicesDep,
    who: AdminDep,
    dry_run: bool = Query(False, description="Check the file and report, change nothing"),
    name_property: str | None = Query(
        None,
        min_length=1,
        max_length=100,
        description="The GeoJSON property, or KML ExtendedData (Data/SimpleData) field, that names each zone, "
        "e.g. NHSER22NM; by default GeoJSON `name` and the KML `<name>`",
    ),
    default_phases: Literal["trust"] | None = Query(
        None,
        description="`trust`: a zone with no phases in the file and no zone of its name in the policy starts "
        "with the trust-wide phases; by default such a zone is refused",
    ),
) -> dict[str, Any]:
    """Zones keep the file's order: the first zone holding an incident decides. A placemark without
    `phases` keeps the rules of the current zone of the same name, so redrawn boundaries can be
    uploaded alone. Any problem in any placemark refuses the whole file with 422, listing each one
    (`placemark[i]` / `features[i]`, with its name); nothing is imported."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(media)
    if fmt is None:
        raise UnsupportedMediaType(f"content type {media or 'none'!r} is not accepted; use {KML}, {KMZ} or {GEOJSON}")
    content = await request.body()
    async with unit_of_work(services) as uow:
        return await zones.import_zones(
            uow,
            trust_id=trust,
            content=content,
            fmt=fmt,
            actor=who.actor,
            dry_run=dry_run,
            name_property=name_property,
            default_phases=default_phases,
        )


@router.get(
    "/{trust}/policy/zones",
    summary="The current policy's zones as GeoJSON or KML",
    responses={200: {"content": {GEOJSON: {}, KML: {}}}},
)
async def get_zones(
    trust: str, services: ServicesDep, who: AdminDep, format: Literal["geojson", "kml"] = Query("geojson")
) -> Response:
    """In policy order, each with its `phases` (and `accept_limit`); the KML imports back unchanged."""
    async with reading(services) as session:
        version, body = await zones.export_zones(session, trust_id=trust, fmt=format)
    if format == "kml":
        return Response(
            body, media_type=KML, headers={"Content-Disposition": f'attachment; filename="zones-v{version}.kml"'}
        )
    return JSONResponse(body, media_type=GEOJSON)
