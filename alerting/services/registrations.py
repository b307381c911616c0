"""Self-registration: a trust opens it, a volunteer applies and uploads credentials, a verifier
approves (choosing the groups) or refuses.

An applicant holds no credential of the trust's: the upload token returned with the application
is good only for adding files to that application while it is pending, and is kept hashed. Approval
creates the responder, counts the uploaded credentials as verified (approving is the verifier's
check of them) and returns an invite link, so the new responder signs in without a typed token.
A refusal deletes the uploaded files: nothing is kept of a person the trust did not take on that
it does not need.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services import auth, credentials, invites
from alerting.services.errors import Conflict, Invalid, NotFound, Unauthorized
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit, subjects
from alerting.store.models import Group, Registration, RegistrationSettings, Responder, ResponderCredential
from alerting.timefmt import iso, utc

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"


async def check_groups(session: AsyncSession, trust_id: str, groups: list[str]) -> None:
    known = set((await session.execute(select(Group.id).where(Group.trust_id == trust_id))).scalars())
    unknown = [g for g in groups if g not in known]
    if unknown:
        raise Invalid(
            f"unknown groups: {', '.join(unknown)}",
            extra={"errors": [{"loc": "groups", "msg": f"unknown group {g!r}"} for g in unknown]},
        )


def settings_view(row: RegistrationSettings | None) -> dict[str, Any]:
    if row is None:
        return {"open": False, "groups": [], "required_credentials": [], "updated_at": None}
    return {
        "open": row.open,
        "groups": list(row.groups),
        "required_credentials": list(row.required_credentials),
        "updated_at": iso(row.updated_at),
    }


async def get_settings(session: AsyncSession, *, trust_id: str) -> dict[str, Any]:
    await get_trust(session, trust_id)
    return settings_view(await session.get(RegistrationSettings, trust_id))


async def put_settings(
    uow: UnitOfWork, *, trust_id: str, open_: bool, groups: list[str], required: list[str], actor: str
) -> dict[str, Any]:
    now = uow.services.clock()
    session = uow.session
    await get_trust(session, trust_id)
    await check_groups(session, trust_id, groups)
    if open_ and not groups:
        raise Invalid(
            "an open registration needs at least one group to place approved volunteers in",
            extra={"errors": [{"loc": "groups", "msg": "at least one group is required while open"}]},
        )
    row = await session.get(RegistrationSettings, trust_id)
    before = settings_view(row) if row else None
    if row is None:
        row = RegistrationSettings(trust_id=trust_id)
        session.add(row)
    row.open, row.groups = open_, list(dict.fromkeys(groups))
    row.required_credentials, row.updated_at = list(dict.fromkeys(required)), utc(now)
    await session.flush()
    after = settings_view(row)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="registration.settings",
        trust_id=trust_id,
        target="registration",
        before={k: v for k, v in (before or {}).items() if k != "updated_at"} or None,
        after={k: v for k, v in after.items() if k != "updated_at"},
    )
    warnings = []
    if row.required_credentials:
        active = list(
            (
                await session.execute(
                    select(Responder.id).where(Responder.trust_id == trust_id, Responder.status == "active")
                )
            ).scalars()
        )
        short = await credentials.lacking(
            session, trust_id=trust_id, responder_ids=active, required=row.required_credentials, now=now
        )
        if short:
            warnings.append(
                f"{len(short)} active responder(s) lack a verified, unexpired credential of every required kind "
                "and will not be alerted until they have one"
            )
    return {**after, "warnings": warnings}


def _view(r: Registration, creds: list[ResponderCredential], *, now: float) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "email": r.email,
        "phone": r.phone,
        "status": r.status,
        "created_at": iso(r.created_at),
        "decided_at": iso(r.decided_at),
        "reason": r.reason,
        "responder_id": r.responder_id,
        "credentials": [credentials.view(c, now=now) for c in creds],
    }


async def apply(uow: UnitOfWork, *, trust_id: str, name: str, email: str | None, phone: str | None) -> dict[str, Any]:
    now = uow.services.clock()
    settings = await uow.session.get(RegistrationSettings, trust_id)
    if settings is None or not settings.open:
        raise NotFound("this trust does not take applications")  # closed and absent look alike
    token = secrets.token_urlsafe(32)
    reg = Registration(
        id=uuid.uuid4().hex,
        trust_id=trust_id,
        name=name,
        email=email,
        phone=phone,
        status=PENDING,
        upload_token_hash=auth.token_hash(token),
        created_at=utc(now),
    )
    uow.session.add(reg)
    await audit.append(
        uow.session,
        at=utc(now),
        actor="applicant",
        action="registration.apply",
        trust_id=trust_id,
        target=f"registration {reg.id}",
    )
    return {
        "id": reg.id,
        "upload_token": token,
        "status": PENDING,
        "required_credentials": list(settings.required_credentials),
    }


async def _by_upload_token(session: AsyncSession, registration_id: str, token: str | None) -> Registration:
    if not token:
        raise Unauthorized("the upload token is required", headers={"WWW-Authenticate": "Bearer"})
    reg = await session.get(Registration, registration_id)
    if reg is None or not secrets.compare_digest(reg.upload_token_hash, auth.token_hash(token)):
        raise NotFound("no such registration")
    return reg


async def upload(
    uow: UnitOfWork, *, registration_id: str, token: str | None, kind: str, expires_on: date, data: bytes
) -> dict[str, Any]:
    now = uow.services.clock()
    session = uow.session
    reg = await _by_upload_token(session, registration_id, token)
    if reg.status != PENDING:
        raise Conflict(f"this application was {reg.status}; files can no longer be added")
    media = credentials.check_file(data, max_bytes=uow.services.settings.credential_max_bytes)
    count = (
        await session.execute(
            select(func.count()).select_from(ResponderCredential).where(ResponderCredential.registration_id == reg.id)
        )
    ).scalar_one()
    limit = uow.services.settings.registration_max_files
    if count >= limit:
        raise Conflict(f"an application may carry at most {limit} files")
    row = credentials.new(
        trust_id=reg.trust_id,
        kind=kind,
        expires_on=expires_on,
        data=data,
        media_type=media,
        now=now,
        registration_id=reg.id,
    )
    session.add(row)
    return credentials.view(row, now=now)


async def list_(
    session: AsyncSession, *, trust_id: str, status: str | None, limit: int, offset: int, now: float
) -> list[dict[str, Any]]:
    await get_trust(session, trust_id)
    query = select(Registration).where(Registration.trust_id == trust_id)
    if status is not None:
        query = query.where(Registration.status == status)
    regs = list(
        (
            await session.execute(
                query.order_by(Registration.created_at.desc(), Registration.id).limit(limit).offset(offset)
            )
        ).scalars()
    )
    creds: dict[str, list[ResponderCredential]] = {r.id: [] for r in regs}
    if regs:
        for c in (
            await session.execute(
                select(ResponderCredential)
                .where(ResponderCredential.registration_id.in_(list(creds)))
                .order_by(ResponderCredential.uploaded_at)
            )
        ).scalars():
            if c.registration_id is not None:  # always: the query asks for these registrations
                creds[c.registration_id].append(c)
    return [_view(r, creds[r.id], now=now) for r in regs]


async def _pending(session: AsyncSession, trust_id: str, registration_id: str) -> Registration:
    reg = await session.get(Registration, registration_id, with_for_update=True)
    if reg is None or reg.trust_id != trust_id:
        raise NotFound("no such registration")
    if reg.status != PENDING:
        raise Conflict(f"this application was {reg.status} already")
    return reg


async def approve(
    uow: UnitOfWork,
    *,
    trust_id: str,
    registration_id: str,
    groups: list[str] | None,
    responder_id: str | None,
    actor: str,
    base_url: str,
) -> dict[str, Any]:
    now = uow.services.clock()
    session = uow.session
    reg = await _pending(session, trust_id, registration_id)
    settings = await session.get(RegistrationSettings, trust_id)
    chosen = list(dict.fromkeys(groups or (settings.groups if settings else [])))
    if not chosen:
        raise Invalid("choose at least one group", extra={"errors": [{"loc": "groups", "msg": "at least one group"}]})
    await check_groups(session, trust_id, chosen)
    rid = responder_id or f"r-{uuid.uuid4().hex[:12]}"
    if await session.get(Responder, (trust_id, rid)) is not None:
        raise Conflict(f"responder {rid!r} already exists")
    session.add(
        Responder(
            trust_id=trust_id,
            id=rid,
            name=reg.name,
            groups=chosen,
            skills=[],
            status="active",
            created_at=utc(now),
            updated_at=utc(now),
        )
    )
    await session.flush()
    for c in (
        await session.execute(select(ResponderCredential).where(ResponderCredential.registration_id == reg.id))
    ).scalars():
        c.responder_id, c.registration_id = rid, None
        c.status, c.verified_at, c.verified_by = credentials.VERIFIED, utc(now), actor
    reg.status, reg.decided_at, reg.decided_by, reg.responder_id = APPROVED, utc(now), actor, rid
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="registration.approve",
        trust_id=trust_id,
        target=await subjects.target(session, trust_id, rid),
        after={"registration": reg.id, "groups": chosen},
    )
    required = settings.required_credentials if settings else []
    missing = await credentials.lacking(session, trust_id=trust_id, responder_ids=[rid], required=required, now=now)
    invite = await invites.create(uow, trust_id=trust_id, responder_id=rid, actor=actor, base_url=base_url)
    profile_groups = chosen

    async def index_profile() -> None:
        await uow.services.index.set_profile(trust_id, rid, groups=profile_groups, active=True, now=now)

    uow.after_commit(index_profile)
    return {
        "responder_id": rid,
        "groups": chosen,
        "missing_credentials": missing.get(rid, []),
        **{k: invite[k] for k in ("invite_url", "code", "expires_at", "qr_svg")},
    }


async def refuse(uow: UnitOfWork, *, trust_id: str, registration_id: str, reason: str, actor: str) -> dict[str, Any]:
    now = uow.services.clock()
    session = uow.session
    reg = await _pending(session, trust_id, registration_id)
    await session.execute(delete(ResponderCredential).where(ResponderCredential.registration_id == reg.id))
    reg.status, reg.decided_at, reg.decided_by, reg.reason = REFUSED, utc(now), actor, reason
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="registration.refuse",
        trust_id=trust_id,
        target=f"registration {reg.id}",
    )
    return _view(reg, [], now=now)
