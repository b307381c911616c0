"""Pseudonyms for responders and alerters named in the audit log.

The audit log is hash-chained and never edited, so it must not hold a person's identifier that
erasure would have to remove. It holds a random pseudonym instead; the link back lives here and is
deleted on erasure, leaving the audit rows (and their chain) intact but anonymous.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.store.models import AlerterSubject, AuditSubject

PREFIX = "responder "


async def _pseudonym(session: AsyncSession, model: Any, column: Any, trust_id: str, subject_id: str) -> str:
    """A subject's pseudonym in its link table (responders' or alerters'), created on first use."""
    found = (
        await session.execute(select(model.pseudonym).where(model.trust_id == trust_id, column == subject_id))
    ).scalar()
    if found is not None:
        return found
    value = f"ps_{secrets.token_hex(12)}"
    session.add(model(pseudonym=value, trust_id=trust_id, **{column.key: subject_id}))
    await session.flush()
    return value


async def _forget(session: AsyncSession, model: Any, column: Any, trust_id: str, subject_id: str) -> None:
    await session.execute(delete(model).where(model.trust_id == trust_id, column == subject_id))


async def _resolve(session: AsyncSession, model: Any, column: Any, trust_id: str, wanted: set[str]) -> dict[str, str]:
    if not wanted:
        return {}
    rows = await session.execute(
        select(model.pseudonym, column).where(model.trust_id == trust_id, model.pseudonym.in_(wanted))
    )
    return dict(rows.all())


async def pseudonym(session: AsyncSession, trust_id: str, responder_id: str) -> str:
    """The responder's pseudonym, created on first use."""
    return await _pseudonym(session, AuditSubject, AuditSubject.responder_id, trust_id, responder_id)


async def target(session: AsyncSession, trust_id: str, responder_id: str) -> str:
    """An audit `target` naming the responder by pseudonym."""
    return PREFIX + await pseudonym(session, trust_id, responder_id)


async def forget(session: AsyncSession, trust_id: str, responder_id: str) -> None:
    await _forget(session, AuditSubject, AuditSubject.responder_id, trust_id, responder_id)


async def resolve(session: AsyncSession, trust_id: str, targets: Iterable[str | None]) -> dict[str, str]:
    """Pseudonym -> responder id for the targets that still resolve (erased ones do not)."""
    wanted = {t[len(PREFIX) :] for t in targets if t and t.startswith(PREFIX + "ps_")}
    return await _resolve(session, AuditSubject, AuditSubject.responder_id, trust_id, wanted)


ALERTER_PREFIX = "alerter "


async def alerter_pseudonym(session: AsyncSession, trust_id: str, alerter_id: str) -> str:
    """The alerter's pseudonym, created on first use: the audit names them by it, as target and as
    the actor of their raises, so that erasing them leaves the chain intact but anonymous."""
    return await _pseudonym(session, AlerterSubject, AlerterSubject.alerter_id, trust_id, alerter_id)


async def alerter_target(session: AsyncSession, trust_id: str, alerter_id: str) -> str:
    return ALERTER_PREFIX + await alerter_pseudonym(session, trust_id, alerter_id)


async def forget_alerter(session: AsyncSession, trust_id: str, alerter_id: str) -> None:
    await _forget(session, AlerterSubject, AlerterSubject.alerter_id, trust_id, alerter_id)


async def resolve_alerters(session: AsyncSession, trust_id: str, pseudonyms: Iterable[str]) -> dict[str, str]:
    """Pseudonym -> alerter id for those still linked (an erased alerter's are not)."""
    wanted = {p for p in pseudonyms if p.startswith("ps_")}
    return await _resolve(session, AlerterSubject, AlerterSubject.alerter_id, trust_id, wanted)
