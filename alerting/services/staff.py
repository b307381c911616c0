"""Staff accounts of a trust: created with a single-use invite, changed, deactivated, erased.

Every change is audited. Deactivating or erasing a person ends their sessions in the same
transaction, so their cookie stops working with the commit.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.roles import Role
from alerting.domain.vocabulary import ErrorCode
from alerting.services import passwords
from alerting.services.errors import Conflict, Invalid, NotFound, ServiceError
from alerting.services.invite_links import invite_url
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit
from alerting.store.models import StaffMember, StaffSession
from alerting.timefmt import iso, utc

__all__ = [
    "accept_invite",
    "create",
    "end_sessions",
    "erase",
    "get",
    "invite_again",
    "list_staff",
    "staff_view",
    "update",
]


class InviteGone(ServiceError):
    status, title = 410, "Gone"
    code = ErrorCode.INVITE_GONE


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _ordered_roles(roles: list[str]) -> list[str]:
    return [r.value for r in Role if r.value in set(roles)]


def staff_view(s: StaffMember) -> dict[str, Any]:
    return {
        "id": s.id,
        "trust_id": s.trust_id,
        "email": s.email,
        "name": s.name,
        "roles": list(s.roles),
        "active": s.active,
        "has_password": s.password_hash is not None,
        "invite_expires_at": iso(s.invite_expires_at) if s.invite_hash else None,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
        "last_sign_in_at": iso(s.last_sign_in_at),
    }


def _invite(uow: UnitOfWork, member: StaffMember, base_url: str) -> dict[str, Any]:
    """A fresh invite replaces any earlier one: only the newest link works."""
    code = secrets.token_urlsafe(24)
    expires = utc(uow.services.clock() + uow.services.settings.staff_invite_ttl_s)
    member.invite_hash, member.invite_expires_at = _digest(code), expires
    url = invite_url(uow.services.settings.public_url or base_url, "/admin", code)
    return {"invite_url": url, "invite_code": code, "invite_expires_at": iso(expires)}


async def _member(session: AsyncSession, trust_id: str, staff_id: str) -> StaffMember:
    member = await session.get(StaffMember, staff_id)
    if member is None or member.trust_id != trust_id:
        raise NotFound("no such staff member")
    return member


async def create(
    uow: UnitOfWork, *, trust_id: str, email: str, name: str, roles: list[str], actor: str, base_url: str
) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    email = email.strip().lower()
    taken = (
        await session.execute(
            select(StaffMember.id).where(StaffMember.trust_id == trust_id, StaffMember.email == email)
        )
    ).first()
    if taken:
        raise Conflict(f"{email} already has a staff account in this trust")
    member = StaffMember(
        id=uuid.uuid4().hex,
        trust_id=trust_id,
        email=email,
        name=name.strip(),
        roles=_ordered_roles(roles),
        active=True,
        created_at=utc(now),
        updated_at=utc(now),
    )
    invite = _invite(uow, member, base_url)
    session.add(member)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same email added by two admins at once
        raise Conflict(f"{email} already has a staff account in this trust") from exc
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="staff.create",
        trust_id=trust_id,
        target=f"staff {member.id}",
        after={"name": member.name, "email": email, "roles": member.roles},
    )
    return {**staff_view(member), **invite}


async def list_staff(session: AsyncSession, *, trust_id: str) -> list[dict[str, Any]]:
    await get_trust(session, trust_id)
    rows = await session.execute(
        select(StaffMember).where(StaffMember.trust_id == trust_id).order_by(StaffMember.name, StaffMember.id)
    )
    return [staff_view(s) for s in rows.scalars()]


async def get(session: AsyncSession, *, trust_id: str, staff_id: str) -> dict[str, Any]:
    return staff_view(await _member(session, trust_id, staff_id))


async def end_sessions(session: AsyncSession, staff_id: str) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))


async def update(
    uow: UnitOfWork, *, trust_id: str, staff_id: str, changes: dict[str, Any], actor: str
) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    member = await _member(session, trust_id, staff_id)
    if "roles" in changes:
        changes["roles"] = _ordered_roles(changes["roles"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    before = {k: getattr(member, k) for k in changes if getattr(member, k) != changes[k]}
    for key in before:
        setattr(member, key, changes[key])
    if not before:
        return staff_view(member)
    member.updated_at = utc(now)
    if member.active is False:
        await end_sessions(session, member.id)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="staff.update",
        trust_id=trust_id,
        target=f"staff {member.id}",
        before={"name": member.name, **before} if "name" not in before else before,
        after={"name": member.name, **{k: changes[k] for k in before}},
    )
    return staff_view(member)


async def erase(uow: UnitOfWork, *, trust_id: str, staff_id: str, actor: str) -> None:
    session, now = uow.session, uow.services.clock()
    member = await _member(session, trust_id, staff_id)
    await end_sessions(session, member.id)
    await session.delete(member)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="staff.delete",
        trust_id=trust_id,
        target=f"staff {staff_id}",
        before={"name": member.name, "email": member.email, "roles": list(member.roles)},
    )


async def invite_again(uow: UnitOfWork, *, trust_id: str, staff_id: str, actor: str, base_url: str) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    member = await _member(session, trust_id, staff_id)
    if not member.active:
        raise Conflict("this person is deactivated; reactivate them before inviting them again")
    invite = _invite(uow, member, base_url)
    member.updated_at = utc(now)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="staff.invite",
        trust_id=trust_id,
        target=f"staff {member.id}",
        after={"name": member.name, "invite_expires_at": invite["invite_expires_at"]},
    )
    return {**staff_view(member), **invite}


async def accept_invite(uow: UnitOfWork, *, code: str, password: str) -> dict[str, Any]:
    """Sets the password of the invited person; the invite is spent. Every password they had is
    replaced and their sessions end, so an invite also serves as a password reset."""
    session, now = uow.session, uow.services.clock()
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise Invalid(
            f"the password must be {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters long",
            extra={"errors": [{"loc": "password", "msg": f"at least {passwords.MIN_LENGTH} characters"}]},
        )
    member = (
        await session.execute(select(StaffMember).where(StaffMember.invite_hash == _digest(code)).with_for_update())
    ).scalar_one_or_none()
    if member is None:
        raise NotFound("this invite link is not valid: it may have been used already; ask for a new one")
    if not member.active:
        raise NotFound("this invite link is not valid: it may have been used already; ask for a new one")
    if member.invite_expires_at is None or member.invite_expires_at.timestamp() <= now:
        raise InviteGone("this invite link has expired; ask your trust's administrator for a new one")
    member.password_hash = await passwords.hash_password(password)
    member.invite_hash = member.invite_expires_at = None
    member.updated_at = utc(now)
    await end_sessions(session, member.id)
    await audit.append(
        session,
        at=utc(now),
        actor=f"staff:{member.trust_id}:{member.id}",
        action="staff.password_set",
        trust_id=member.trust_id,
        target=f"staff {member.id}",
        after={"name": member.name},
    )
    return staff_view(member)
