"""The append-only, hash-chained audit log: who changed what, when, before and after."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.store.models import AuditEntry
from alerting.timefmt import iso

GENESIS = "0" * 64
_CHAIN_LOCK = 0x616C7274  # advisory lock id: one writer extends the chain at a time


def entry_hash(
    prev_hash: str,
    *,
    at: datetime,
    actor: str,
    action: str,
    trust_id: str | None,
    target: str | None,
    before: Any,
    after: Any,
) -> str:
    payload = json.dumps(
        {
            "prev": prev_hash,
            "at": iso(at),
            "actor": actor,
            "action": action,
            "trust": trust_id,
            "target": target,
            "before": before,
            "after": after,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


async def append(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    trust_id: str | None,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    last = (await session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))).scalar()
    prev = last or GENESIS
    row = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        trust_id=trust_id,
        target=target,
        before=before,
        after=after,
        prev_hash=prev,
        hash=entry_hash(
            prev, at=at, actor=actor, action=action, trust_id=trust_id, target=target, before=before, after=after
        ),
    )
    session.add(row)
    await session.flush()
    return row


async def verify(session: AsyncSession) -> list[str]:
    """Problems found walking the chain; empty means intact."""
    problems: list[str] = []
    prev = GENESIS
    rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
    for row in rows:
        if row.prev_hash != prev:
            problems.append(f"entry {row.id}: chain broken (an entry before it was edited or deleted)")
        expected = entry_hash(
            row.prev_hash,
            at=row.at,
            actor=row.actor,
            action=row.action,
            trust_id=row.trust_id,
            target=row.target,
            before=row.before,
            after=row.after,
        )
        if expected != row.hash:
            problems.append(f"entry {row.id}: contents do not match its hash (edited)")
        prev = row.hash
    return problems
