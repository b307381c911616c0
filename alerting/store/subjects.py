"""Pseudonyms for responders named in the audit log.

The audit log is hash-chained and never edited, so it must not hold a person's identifier that
erasure would have to remove. It holds a random pseudonym instead; the link back lives here and is
deleted on erasure, leaving the audit rows (and their chain) intact but anonymous.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.store.models import AuditSubject

PREFIX = "responder "


async def pseudonym(session: AsyncSession, trust_id: str, responder_id: str) -> str:
    """The responder's pseudonym, created on first use."""
    found = (
        await session.execute(
            select(AuditSubject.pseudonym).where(
                AuditSubject.trust_id == trust_id, AuditSubject.responder_id == responder_id
            )
        )
    ).scalar()
    if found is not None:
        return found
    value = f"ps_{secrets.token_hex(12)}"
    session.add(AuditSubject(pseudonym=value, trust_id=trust_id, responder_id=responder_id))
    await session.flush()
    return value


async def target(session: AsyncSession, trust_id: str, responder_id: str) -> str:
    """An audit `target` naming the responder by pseudonym."""
    return PREFIX + await pseudonym(session, trust_id, responder_id)


async def forget(session: AsyncSession, trust_id: str, responder_id: str) -> None:
    await session.execute(
        delete(AuditSubject).where(AuditSubject.trust_id == trust_id, AuditSubject.responder_id == responder_id)
    )


async def resolve(session: AsyncSession, trust_id: str, targets: Iterable[str | None]) -> dict[str, str]:
    """Pseudonym -> responder id for the targets that still resolve (erased ones do not)."""
    wanted = {t[len(PREFIX) :] for t in targets if t and t.startswith(PREFIX + "ps_")}
    if not wanted:
        return {}
    rows = await session.execute(
        select(AuditSubject.pseudonym, AuditSubject.responder_id).where(
            AuditSubject.trust_id == trust_id, AuditSubject.pseudonym.in_(wanted)
        )
    )
    return dict(rows.all())
