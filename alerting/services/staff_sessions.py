"""Staff sessions: signing in with a password, the session cookie's lifetime, signing out.

The cookie holds a random 256-bit token; the database keeps only its SHA-256. A session ends after
`session_idle_timeout_s` without a request and `session_absolute_timeout_s` after sign-in, and at
once when the person is deactivated or erased. Roles are read from the person's row on every
request, so a change of roles applies to the next request.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services import auth, login_throttle, passwords
from alerting.services.auth import Principal
from alerting.services.errors import Unauthorized
from alerting.services.staff import staff_view
from alerting.services.unit_of_work import UnitOfWork
from alerting.settings import Settings
from alerting.store import audit
from alerting.store.models import StaffMember, StaffSession
from alerting.timefmt import utc

__all__ = ["COOKIE", "SignedIn", "find", "login", "logout", "start", "touch"]

log = logging.getLogger(__name__)
COOKIE = "alerting_session"
TOUCH_EVERY_S = 60.0  # last_seen_at is written at most this often: idle timeouts are minutes long


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # for the cookie, never stored
    csrf_token: str
    staff: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Found:
    principal: Principal
    session_id: str
    stale: bool  # last_seen_at is old enough to be written again


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(uow: UnitOfWork, member: StaffMember, *, method: str) -> SignedIn:
    """A new session for a person already proven to be who they say."""
    now = uow.services.clock()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    uow.session.add(
        StaffSession(
            id=_digest(token),
            staff_id=member.id,
            trust_id=member.trust_id,
            csrf_token=csrf,
            method=method,
            created_at=utc(now),
            last_seen_at=utc(now),
        )
    )
    member.last_sign_in_at = utc(now)
    await audit.append(
        uow.session,
        at=utc(now),
        actor=f"{auth.STAFF}:{member.trust_id}:{member.id}",
        action="staff.sign_in",
        trust_id=member.trust_id,
        target=f"staff {member.id}",
        after={"name": member.name, "method": method},
    )
    return SignedIn(token, csrf, staff_view(member))


async def login(uow: UnitOfWork, *, email: str, password: str, address: str) -> SignedIn:
    """The same 401 for an unknown email, a wrong password, a deactivated person and a person
    who has not set a password yet; failures are throttled per account and per address."""
    email = email.strip().lower()
    throttle = login_throttle.LoginThrottle(uow.services)
    await throttle.check(email=email, address=address)
    candidates: list[StaffMember | None] = list(
        (
            await uow.session.execute(
                select(StaffMember).where(
                    StaffMember.email == email, StaffMember.active.is_(True), StaffMember.password_hash.is_not(None)
                )
            )
        ).scalars()
    )
    # An unknown email is checked against a dummy hash: the same work, the same time.
    for member in candidates or [None]:
        stored = member.password_hash if member else None
        if await passwords.verify(stored, password) and member is not None:
            if passwords.needs_rehash(stored or ""):
                member.password_hash = await passwords.hash_password(password)
            return await start(uow, member, method="password")
    await throttle.failed(email=email, address=address)
    log.warning("sign-in refused", extra={"account": _digest(email)[:12], "address": address})
    raise Unauthorized("the email address or the password is not right")


def _expired(row: StaffSession, settings: Settings, now: float) -> bool:
    return (
        now - row.created_at.timestamp() >= settings.session_absolute_timeout_s
        or now - row.last_seen_at.timestamp() >= settings.session_idle_timeout_s
    )


async def find(session: AsyncSession, *, token: str, settings: Settings, now: float) -> Found | None:
    """The signed-in person for a cookie, or None for an unknown, ended, expired or deactivated one."""
    row = (
        await session.execute(
            select(StaffSession, StaffMember)
            .join(StaffMember, StaffMember.id == StaffSession.staff_id)
            .where(StaffSession.id == _digest(token))
        )
    ).first()
    if row is None:
        return None
    sess, member = row
    if not member.active or member.trust_id != sess.trust_id or _expired(sess, settings, now):
        return None
    principal = Principal(
        auth.STAFF,
        trust_id=member.trust_id,
        credential_id=f"staff-{member.id}",
        staff_id=member.id,
        name=member.name,
        roles=tuple(member.roles),
        csrf_token=sess.csrf_token,
    )
    return Found(principal, sess.id, stale=now - sess.last_seen_at.timestamp() >= TOUCH_EVERY_S)


async def touch(uow: UnitOfWork, *, session_id: str) -> None:
    row = await uow.session.get(StaffSession, session_id)
    if row is not None:
        row.last_seen_at = utc(uow.services.clock())


async def logout(uow: UnitOfWork, *, token: str) -> None:
    await uow.session.execute(delete(StaffSession).where(StaffSession.id == _digest(token)))
