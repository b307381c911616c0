"""CAD keys: issued, rotated with a grace period, and read back (decrypted) to sign webhooks.

Like every credential a CAD key is looked up by its SHA-256; unlike the others a copy is kept
Fernet-encrypted, because the contract signs webhooks with the key itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services import auth
from alerting.services.errors import NotFound
from alerting.services.secret_box import SecretBox
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit
from alerting.store.models import Credential, Trust
from alerting.timefmt import iso, utc

__all__ = ["issue", "rotate", "signing_keys"]


async def issue(session: AsyncSession, box: SecretBox, *, trust_id: str, now: float) -> str:
    token = auth.mint(auth.CAD)
    session.add(
        Credential(
            id=uuid.uuid4().hex,
            token_hash=auth.token_hash(token),
            kind=auth.CAD,
            trust_id=trust_id,
            created_at=utc(now),
            secret_enc=box.encrypt(token),
        )
    )
    await session.flush()
    return token


def _live(trust_id: str, now: float):
    return (
        Credential.trust_id == trust_id,
        Credential.kind == auth.CAD,
        or_(Credential.expires_at.is_(None), Credential.expires_at > utc(now)),
    )


async def rotate(uow: UnitOfWork, *, trust_id: str, actor: str, grace_s: float | None = None) -> dict[str, Any]:
    """A new CAD key; every older one still valid expires after the grace period (never later
    than it already would). The trust row is locked so two rotations at once stay ordered."""
    services, session, now = uow.services, uow.session, uow.services.clock()
    grace = services.settings.cad_key_grace_s if grace_s is None else grace_s
    until = utc(now + grace)
    trust = (await session.execute(select(Trust).where(Trust.id == trust_id).with_for_update())).scalar_one_or_none()
    if trust is None:
        raise NotFound("no such trust")
    old = list((await session.execute(select(Credential).where(*_live(trust_id, now)))).scalars())
    for cred in old:
        if cred.expires_at is None or cred.expires_at > until:
            cred.expires_at = until
    token = await issue(session, services.secret_box, trust_id=trust_id, now=now)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="cad_key.rotate",
        trust_id=trust_id,
        target="cad key",
        after={"grace_s": grace, "previous_keys": len(old), "previous_keys_expire_at": iso(until) if old else None},
    )
    return {"cad_key": token, "previous_keys_expire_at": iso(until) if old else None, "grace_s": grace}


async def signing_keys(session: AsyncSession, box: SecretBox, *, trust_id: str, now: float) -> list[str]:
    """The trust's valid CAD keys, newest first: the first signs, the rest cover a grace period."""
    rows = await session.execute(
        select(Credential.secret_enc)
        .where(*_live(trust_id, now), Credential.secret_enc.is_not(None))
        .order_by(Credential.created_at.desc(), Credential.id)
    )
    return [box.decrypt(enc) for enc in rows.scalars() if enc is not None]  # none is: the query asks so
