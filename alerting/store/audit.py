"""The append-only, hash-chained audit log: who changed what, when, before and after."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.store import subjects
from alerting.store.models import AuditEntry, StaffMember
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
    actor_name: str | None = None,
) -> str:
    fields = {
        "prev": prev_hash,
        "at": iso(at),
        "actor": actor,
        "action": action,
        "trust": trust_id,
        "target": target,
        "before": before,
        "after": after,
    }
    if actor_name is not None:  # entries written before names were recorded hash as they always did
        fields["actor_name"] = actor_name
    payload = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


async def _pseudonymous(session: AsyncSession, actor: str, trust_id: str | None) -> str:
    """A responder or alerter acting ("responder:<id>:<credential>") is recorded by their pseudonym,
    like one named as a target: the chain never holds an identifier that erasure must remove."""
    kind, _, rest = actor.partition(":")
    person_id, _, credential = rest.partition(":")
    if kind not in ("responder", "alerter") or not trust_id or not person_id or person_id.startswith("ps_"):
        return actor
    if kind == "alerter":  # an alerter raising: by pseudonym too, so that erasing them leaves no id
        return f"alerter:{await subjects.alerter_pseudonym(session, trust_id, person_id)}:{credential}"[:80]
    return f"responder:{await subjects.pseudonym(session, trust_id, person_id)}:{credential}"


async def _person_name(session: AsyncSession, actor: str) -> str | None:
    """A staff actor ("staff:<trust>:<id>") is recorded with the name the person has now."""
    kind, _, rest = actor.partition(":")
    if kind != "staff":
        return None
    member = await session.get(StaffMember, rest.partition(":")[2])
    return member.name if member else None


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
    actor = await _pseudonymous(session, actor, trust_id)
    actor_name = await _person_name(session, actor)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    last = (await session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))).scalar()
    prev = last or GENESIS
    row = AuditEntry(
        at=at,
        actor=actor,
        actor_name=actor_name,
        action=action,
        trust_id=trust_id,
        target=target,
        before=before,
        after=after,
        prev_hash=prev,
        hash=entry_hash(
            prev,
            at=at,
            actor=actor,
            action=action,
            trust_id=trust_id,
            target=target,
            before=before,
            after=after,
            actor_name=actor_name,
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
            actor_name=row.actor_name,
        )
        if expected != row.hash:
            problems.append(f"entry {row.id}: contents do not match its hash (edited)")
        prev = row.hash
    return problems
