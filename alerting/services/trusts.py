"""Trusts, their groups, responders, credentials and defibrillators. Every change is audited.

Changes run in the caller's unit of work; the live index and the AED index follow the rows once
they have committed (`uow.after_commit`), so Redis never holds a responder that SQL does not."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services import auth, cad_keys
from alerting.services.errors import Conflict, Invalid, NotFound
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit, subjects
from alerting.store.models import Aed, CheckIn, Credential, Group, PushDevice, Responder, Trust
from alerting.timefmt import iso, utc
from geo.aed_register import Fields, read_register
from geo.aed_register import Format as RegisterFormat
from geo.aeds import AedImportError
from geo.areas import AreaError, ServiceArea
from geo.index import Profile


async def create_trust(uow: UnitOfWork, *, name: str, area: dict[str, Any], actor: str) -> dict[str, Any]:
    try:
        geojson = ServiceArea.from_geojson(area).geojson
    except AreaError as exc:
        raise Invalid(f"area: {exc}", extra={"errors": [{"loc": "area", "msg": str(exc)}]}) from exc
    session, now = uow.session, uow.services.clock()
    trust_id = uuid.uuid4().hex[:16]
    session.add(Trust(id=trust_id, name=name, area=geojson, settings={}, created_at=utc(now)))
    await session.flush()
    admin_key = await auth.issue(session, kind=auth.ADMIN, trust_id=trust_id, now=now)
    cad_key = await cad_keys.issue(session, uow.services.secret_box, trust_id=trust_id, now=now)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="trust.create",
        trust_id=trust_id,
        target=trust_id,
        after={"name": name},
    )
    return {"id": trust_id, "name": name, "admin_key": admin_key, "cad_key": cad_key}


async def get_trust(session: AsyncSession, trust_id: str) -> Trust:
    trust = await session.get(Trust, trust_id)
    if trust is None:
        raise NotFound("no such trust")
    return trust


async def trust_name(session: AsyncSession, *, trust_id: str) -> str | None:
    trust = await session.get(Trust, trust_id)
    return trust.name if trust else None


async def responder_name(session: AsyncSession, *, trust_id: str, responder_id: str) -> str | None:
    responder = await session.get(Responder, (trust_id, responder_id))
    return responder.name if responder else None


def group_view(g: Group) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "trusted": g.trusted, "private_locations": g.private_locations}


async def create_group(uow: UnitOfWork, *, trust_id: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    private = body.get("private_locations")
    if private is None:
        private = bool(body["trusted"])  # trusted groups go into homes; community ones only to public places
    await get_trust(session, trust_id)
    group = Group(
        trust_id=trust_id,
        id=body["id"],
        name=body["name"],
        trusted=body["trusted"],
        private_locations=private,
        created_at=utc(now),
    )
    session.add(group)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"group {body['id']!r} already exists") from exc
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="group.create",
        trust_id=trust_id,
        target=f"group {group.id}",
        after=group_view(group),
    )
    return group_view(group)


async def list_groups(session: AsyncSession, *, trust_id: str) -> list[dict[str, Any]]:
    rows = (await session.execute(select(Group).where(Group.trust_id == trust_id).order_by(Group.id))).scalars()
    return [group_view(g) for g in rows]


def responder_view(r: Responder) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "groups": list(r.groups),
        "skills": list(r.skills),
        "status": r.status,
        "quiet_hours": r.quiet_hours,
        "travel_mode": r.travel_mode,
        "carries_aed": r.carries_aed,
        "language": r.language,
        "on_duty_hours": r.on_duty_hours,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }


async def _check_groups(session: AsyncSession, trust_id: str, groups: list[str]) -> None:
    known = set((await session.execute(select(Group.id).where(Group.trust_id == trust_id))).scalars())
    unknown = [g for g in groups if g not in known]
    if unknown:
        raise Invalid(
            f"unknown groups: {', '.join(unknown)}",
            extra={"errors": [{"loc": "groups", "msg": f"unknown group {g!r}"} for g in unknown]},
        )


def _index_profile(uow: UnitOfWork, r: Responder, *, now: float) -> None:
    index, trust_id, responder_id = uow.services.index, r.trust_id, r.id
    groups, active = list(r.groups), r.status == "active"
    uow.after_commit(lambda: index.set_profile(trust_id, responder_id, groups=groups, active=active, now=now))


async def create_responder(uow: UnitOfWork, *, trust_id: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    await _check_groups(session, trust_id, body["groups"])
    r = Responder(
        trust_id=trust_id,
        id=body["id"],
        name=body["name"],
        groups=list(dict.fromkeys(body["groups"])),
        skills=list(body.get("skills") or []),
        status="active",
        quiet_hours=body.get("quiet_hours"),
        created_at=utc(now),
        updated_at=utc(now),
    )
    session.add(r)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"responder {body['id']!r} already exists") from exc
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="responder.create",
        trust_id=trust_id,
        target=await subjects.target(session, trust_id, r.id),
        after={"groups": r.groups, "skills": r.skills},
    )
    _index_profile(uow, r, now=now)
    return responder_view(r)


async def index_profiles(session: AsyncSession, *, trust_id: str, responder_ids: list[str]) -> list[Profile]:
    """What the live index keeps of these responders (groups, whether active), as SQL has it."""
    rows = await session.execute(
        select(Responder).where(Responder.trust_id == trust_id, Responder.id.in_(responder_ids))
    )
    return [Profile(r.id, tuple(r.groups), r.status == "active") for r in rows.scalars()]


async def _responder(session: AsyncSession, trust_id: str, responder_id: str) -> Responder:
    r = await session.get(Responder, (trust_id, responder_id))
    if r is None:
        raise NotFound("no such responder")
    return r


async def get_responder(session: AsyncSession, *, trust_id: str, responder_id: str) -> dict[str, Any]:
    return responder_view(await _responder(session, trust_id, responder_id))


async def list_responders(
    session: AsyncSession, *, trust_id: str, q: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """404 for a trust that does not exist, rather than an empty list."""
    await get_trust(session, trust_id)
    query = select(Responder).where(Responder.trust_id == trust_id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Responder.id).like(like), func.lower(Responder.name).like(like)))
    rows = (await session.execute(query.order_by(Responder.id).limit(limit).offset(offset))).scalars()
    return [responder_view(r) for r in rows]


# the responder may change these too
PROFILE_FIELDS = frozenset({"travel_mode", "carries_aed", "language", "on_duty_hours"})
CLEARABLE = frozenset({"language", "on_duty_hours"})  # null: follow the browser; alerted whenever on duty


def apply_profile(r: Responder, changes: dict[str, Any]) -> None:
    """Travel mode and AED can only be set, not emptied; an empty language means "follow the
    browser", empty on-duty hours "whenever the switch is on"."""
    for key in sorted(PROFILE_FIELDS & changes.keys()):
        if changes[key] is not None or key in CLEARABLE:
            setattr(r, key, changes[key])


def _auditable(fields: dict[str, Any]) -> dict[str, Any]:
    """The audit log is never edited, so it records that a name changed, never the name itself."""
    return {k: ("(changed)" if k == "name" else v) for k, v in fields.items()}


async def patch_responder(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, changes: dict[str, Any], actor: str
) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    r = await _responder(session, trust_id, responder_id)
    before = _auditable({k: getattr(r, k) for k in changes})
    if "groups" in changes:
        await _check_groups(session, trust_id, changes["groups"])
        r.groups = list(dict.fromkeys(changes["groups"]))
    if "skills" in changes:
        r.skills = list(changes["skills"])
    if "status" in changes:
        r.status = changes["status"]
    if "quiet_hours" in changes:
        r.quiet_hours = changes["quiet_hours"]
    if "name" in changes:
        r.name = changes["name"]
    apply_profile(r, changes)
    r.updated_at = utc(now)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="responder.update",
        trust_id=trust_id,
        target=await subjects.target(session, trust_id, r.id),
        before=before,
        after=_auditable({k: getattr(r, k) for k in changes}),
    )
    _index_profile(uow, r, now=now)
    return responder_view(r)


async def delete_responder(uow: UnitOfWork, *, trust_id: str, responder_id: str, actor: str) -> None:
    """Erasure: the person, their tokens, push devices, check-in answers and positions go; the audit
    keeps a pseudonym."""
    session, now = uow.session, uow.services.clock()
    r = await _responder(session, trust_id, responder_id)
    await session.execute(
        delete(Credential).where(Credential.trust_id == trust_id, Credential.responder_id == responder_id)
    )
    await session.execute(
        delete(PushDevice).where(PushDevice.trust_id == trust_id, PushDevice.responder_id == responder_id)
    )
    await session.execute(delete(CheckIn).where(CheckIn.trust_id == trust_id, CheckIn.responder_id == responder_id))
    await session.delete(r)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="responder.erase",
        trust_id=trust_id,
        target=await subjects.target(session, trust_id, responder_id),
    )
    await subjects.forget(session, trust_id, responder_id)
    index = uow.services.index
    uow.after_commit(lambda: index.remove(trust_id, responder_id))


async def issue_responder_token(uow: UnitOfWork, *, trust_id: str, responder_id: str, actor: str) -> str:
    session, now = uow.session, uow.services.clock()
    await _responder(session, trust_id, responder_id)
    token = await auth.issue(session, kind=auth.RESPONDER, trust_id=trust_id, responder_id=responder_id, now=now)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="responder.token",
        trust_id=trust_id,
        target=await subjects.target(session, trust_id, responder_id),
    )
    return token


async def put_aeds(
    uow: UnitOfWork, *, trust_id: str, content: bytes, fmt: RegisterFormat, fields: Fields, actor: str
) -> dict[str, Any]:
    """Replace the trust's AEDs with a register's (GeoJSON, CSV or Overpass): all of it, or none."""
    try:
        register = read_register(content, fmt, fields)
    except AedImportError as exc:
        raise Invalid("the AED file has invalid features; nothing was imported", extra={"errors": exc.errors}) from exc
    aeds = register.aeds
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    await session.execute(delete(Aed).where(Aed.trust_id == trust_id))
    if aeds:  # one multi-row insert: a register may hold thousands
        await session.execute(
            insert(Aed),
            [
                {
                    "trust_id": trust_id,
                    "id": a.id,
                    "name": a.name,
                    "access": a.access,
                    "lat": a.lat,
                    "lon": a.lon,
                    "opening_hours": a.opening_hours,
                }
                for a in aeds
            ],
        )
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="aeds.replace",
        trust_id=trust_id,
        target="aeds",
        after={"count": len(aeds)},
    )
    index = uow.services.aeds
    uow.after_commit(lambda: index.replace(trust_id, aeds))
    return {"imported": len(aeds), "warnings": register.warnings}
