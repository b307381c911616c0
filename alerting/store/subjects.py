"""Pseudonyms for responders and alerters named in the audit log.

The audit log is hash-chained and never edited, so it must not hold a person's identifier that
erasure would have to remove. It holds a random pseudonym instead; the link back lives here and is
deleted on erasure, leaving the audit rows (and their chain) intact but anonymous.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.store.models import AlerterSubject, AuditSubject

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


ALERTER_PREFIX = "alerter "


async def alerter_pseudonym(session: AsyncSession, trust_id: str, alerter_id: str) -> str:
    """The alerter's pseudonym, created on first use: the audit names them by it, as target and as
    the actor of their raises, so that erasing them leaves the chain intact but anonymous."""
    found = (
        await session.execute(
            select(AlerterSubject.pseudonym).where(
                AlerterSubject.trust_id == trust_id, AlerterSubject.alerter_id == alerter_id
            )
        )
    ).scalar()
    if found is not None:
        return found
    value = f"ps_{secrets.token_hex(12)}"
    session.add(AlerterSubject(pseudonym=value, trust_id=trust_id, alerter_id=alerter_id))
    await session.flush()
    return value


async def alerter_target(session: AsyncSession, trust_id: str, alerter_id: str) -> str:
    return ALERTER_PREFIX + await alerter_pseudonym(session, trust_id, alerter_id)


async def forget_alerter(session: AsyncSession, trust_id: str, alerter_id: str) -> None:
    await session.execute(
        delete(AlerterSubject).where(AlerterSubject.trust_id == trust_id, AlerterSubject.alerter_id == alerter_id)
    )


async def resolve_alerters(session: AsyncSession, trust_id: str, pseudonyms: Iterable[str]) -> dict[str, str]:
    """Pseudonym -> alerter id for those still linked (an erased alerter's are not)."""
    wanted = {p for p in pseudonyms if p.startswith("ps_")}
    if not wanted:
        return {}
    rows = await session.execute(
        select(AlerterSubject.pseudonym, AlerterSubject.alerter_id).where(
            AlerterSubject.trust_id == trust_id, AlerterSubject.pseudonym.in_(wanted)
        )
    )
    return dict(rows.all())
