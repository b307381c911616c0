"""Zone import and export: a KML/KMZ/GeoJSON file replaces the policy's zones as one new version.

All or nothing: the file is read, every placemark checked (geometry, name, rules, the trust's
area and groups), and only a file without a single problem becomes a policy version. Errors name
the placemark or feature (`placemark[2]`, with its name) rather than the policy's `zones[2]`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import json_text, zone_import
from alerting.domain.policy import PolicyError, build_policy
from alerting.domain.policy_document import PolicyIn
from alerting.domain.zone_import import ImportProblem, ZoneFeature, ZoneImportError
from alerting.services import policies
from alerting.services.errors import Conflict, Invalid, NotFound
from alerting.services.trust_cache import trust_area
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import UnitOfWork
from alerting.store.models import Group
from geo.kml import KmlError, parse_kml, read_kmz, write_kml

Format = Literal["kml", "kmz", "geojson"]
DefaultPhases = Literal["trust"]
_ZONE_LOC = re.compile(r"^zones\[(\d+)\]")


def _body_error(exc: Exception) -> dict[str, Any]:
    return {"errors": [{"loc": "body", "name": None, "msg": str(exc)}]}


def read_features(content: bytes, fmt: Format, *, name_property: str | None = None) -> list[ZoneFeature]:
    """The zones a file describes, each with its own problem if it has one; Invalid if unreadable.
    `name_property` names the property (GeoJSON) or ExtendedData field (KML) that names each zone."""
    try:
        if fmt == "geojson":
            try:
                doc = json_text.loads(content)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise Invalid(f"the GeoJSON is not valid JSON: {exc}", extra=_body_error(exc)) from exc
            return zone_import.from_geojson(doc, name_property=name_property or "name")
        document = read_kmz(content) if fmt == "kmz" else content
        return zone_import.from_placemarks(parse_kml(document), name_property=name_property)
    except KmlError as exc:
        raise Invalid(f"the {fmt.upper()} file cannot be read: {exc}", extra=_body_error(exc)) from exc
    except ZoneImportError as exc:
        raise _refused(exc.problems) from exc


def _refused(problems: list[ImportProblem]) -> Invalid:
    n = len(problems)
    listed = "; ".join(f"{p.loc}{f' {p.name!r}' if p.name else ''}: {p.msg}" for p in problems[:3])
    more = f" (and {n - 3} more)" if n > 3 else ""
    return Invalid(
        f"{n} zone problem{'s' if n != 1 else ''}, nothing was imported: {listed}{more}",
        extra={"errors": [p.as_dict() for p in problems]},
    )


def _relocate(loc: str, msg: str, features: list[ZoneFeature]) -> ImportProblem:
    """`zones[2].phases[0].radius_m` -> `placemark[2].phases[0].radius_m`, named."""
    m = _ZONE_LOC.match(loc)
    if m is None or int(m.group(1)) >= len(features):
        return ImportProblem(loc, None, msg)
    f = features[int(m.group(1))]
    return ImportProblem(f.loc + loc[m.end() :], f.name, msg)


def _pydantic_loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


async def import_zones(
    uow: UnitOfWork,
    *,
    trust_id: str,
    content: bytes,
    fmt: Format,
    actor: str,
    dry_run: bool = False,
    name_property: str | None = None,
    default_phases: DefaultPhases | None = None,
) -> dict[str, Any]:
    """`default_phases="trust"`: a zone the file gives no phases, and the policy has no zone of its
    name, starts with the trust-wide phases (a regions file as published carries no rules)."""
    features = read_features(content, fmt, name_property=name_property)
    try:
        return await _import(
            uow,
            trust_id=trust_id,
            features=features,
            actor=actor,
            dry_run=dry_run,
            name_property=name_property,
            default_phases=default_phases,
        )
    except IntegrityError as exc:  # another policy version was saved between our read and our write
        raise Conflict("the policy changed while this file was being imported; nothing was imported, retry") from exc


async def _import(
    uow: UnitOfWork,
    *,
    trust_id: str,
    features: list[ZoneFeature],
    actor: str,
    dry_run: bool,
    name_property: str | None,
    default_phases: DefaultPhases | None,
) -> dict[str, Any]:
    session = uow.session
    await get_trust(session, trust_id)
    found = await policies.current(session, trust_id)
    if found is None:
        raise Conflict("the trust has no policy yet: PUT /v1/trusts/{trust}/policy with the trust-wide phases first")
    _, body = found
    try:
        zones = zone_import.to_zone_docs(
            features,
            body.get("zones") or [],
            default_phases=body["phases"] if default_phases == "trust" else None,
            name_property=name_property,
        )
    except ZoneImportError as exc:
        raise _refused(exc.problems) from exc
    try:
        document = PolicyIn.model_validate({**body, "zones": zones})
    except ValidationError as exc:
        raise _refused([_relocate(_pydantic_loc(tuple(e["loc"])), e["msg"], features) for e in exc.errors()]) from exc
    groups = set((await session.execute(select(Group.id).where(Group.trust_id == trust_id))).scalars())
    try:
        _, warnings = build_policy(document, known_groups=groups, area=(await trust_area(session, trust_id)).geom)
    except PolicyError as exc:
        raise _refused([_relocate(e.loc, e.msg, features) for e in exc.errors]) from exc
    doc = document.to_json()
    version = None
    if not dry_run:
        version, warnings = await policies.put(
            session, trust_id=trust_id, body=doc, actor=actor, now=uow.services.clock()
        )
        await session.flush()  # a version saved meanwhile fails here, inside import_zones' guard
    return {
        "version": version,
        "dry_run": dry_run,
        "warnings": warnings,
        "zones": [{"order": i, "name": z["name"]} for i, z in enumerate(doc["zones"])],
    }


async def export_zones(
    session: AsyncSession, *, trust_id: str, fmt: Literal["geojson", "kml"]
) -> tuple[int, bytes | dict]:
    """The current policy's zones, in policy order, as a GeoJSON FeatureCollection or a KML document
    that imports back unchanged."""
    trust = await get_trust(session, trust_id)
    found = await policies.current(session, trust_id)
    if found is None:
        raise NotFound("this trust has no policy yet")
    version, body = found
    zones = body.get("zones") or []
    if fmt == "geojson":
        return version, {**zone_import.to_feature_collection(zones), "policy_version": version}
    placemarks = [
        (z["name"], z["area"], {k: z[k] for k in ("phases", "accept_limit") if z.get(k) is not None}) for z in zones
    ]
    return version, write_kml(f"{trust.name} zones, policy v{version}", placemarks)
