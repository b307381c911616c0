"""The trust's admin key (the console calls it the API key), rotated with a grace period.

Automation and bootstrap keep using a key while people sign in by name; a rotation issues a new
key at once and lets the previous ones work until the grace period ends, like the CAD key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from alerting.services import auth
from alerting.services.errors import NotFound
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit
from alerting.store.models import Credential, Trust
from alerting.timefmt import iso, utc

__all__ = ["rotate"]


async def rotate(uow: UnitOfWork, *, trust_id: str, actor: str, grace_s: float | None = None) -> dict[str, Any]:
    """The trust row is locked so two rotations at once stay ordered."""
    session, now = uow.session, uow.services.clock()
    grace = uow.services.settings.admin_key_grace_s if grace_s is None else grace_s
    until = utc(now + grace)
    trust = (await session.execute(select(Trust).where(Trust.id == trust_id).with_for_update())).scalar_one_or_none()
    if trust is None:
        raise NotFound("no such trust")
    old = list(
        (
            await session.execute(
                select(Credential).where(
                    Credential.trust_id == trust_id,
                    Credential.kind == auth.ADMIN,
                    or_(Credential.expires_at.is_(None), Credential.expires_at > utc(now)),
                )
            )
        ).scalars()
    )
    for cred in old:
        if cred.expires_at is None or cred.expires_at > until:
            cred.expires_at = until
    token = await auth.issue(session, kind=auth.ADMIN, trust_id=trust_id, now=now)
    valid_until = iso(until) if old else None
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="admin_key.rotate",
        trust_id=trust_id,
        target="API key",
        after={"grace_s": grace, "previous_keys": len(old), "previous_valid_until": valid_until},
    )
    return {"admin_key": token, "previous_valid_until": valid_until, "grace_s": grace}
