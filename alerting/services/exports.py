"""One incident's full record as a JSON document: for a clinical review, a complaint or a court.

The export itself is audited (who took a copy of the record, and when), and the export includes
that entry, so the copy shows its own provenance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alerting.domain.audit_text import actor_of, changes
from alerting.services import incidents
from alerting.services.context import Services
from alerting.store import audit, subjects
from alerting.store.models import AuditEntry, WebhookDelivery
from alerting.timefmt import iso, utc

FORMAT = "alerting.incident-export/1"


def audit_view(row: AuditEntry, names: dict[str, str]) -> dict[str, Any]:
    """An audit row for a reader: who acted as `{kind, id, name}` (`actor_ref` is the raw record),
    what changed in words, and a responder pseudonym resolved while its link still exists."""
    view = {
        "id": row.id,
        "at": iso(row.at),
        "actor": actor_of(row.actor, row.actor_name),
        "actor_ref": row.actor,
        "action": row.action,
        "changes": changes(row.before, row.after),
        "target": row.target,
        "before": row.before,
        "after": row.after,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }
    if row.target and row.target.startswith(subjects.PREFIX):
        view["responder"] = names.get(row.target[len(subjects.PREFIX) :])
    return view


def incident_target(incident_id: str) -> str:
    return f"incident {incident_id}"


async def export_incident(services: Services, *, trust_id: str, incident_id: str, actor: str) -> dict[str, Any]:
    now = services.clock()
    async with services.sessions() as session, session.begin():
        record = await incidents.view(session, services, trust_id=trust_id, incident_id=incident_id)
        await audit.append(
            session,
            at=utc(now),
            actor=actor,
            action="incident.export",
            trust_id=trust_id,
            target=incident_target(incident_id),
        )
        entries = list(
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.trust_id == trust_id, AuditEntry.target == incident_target(incident_id))
                    .order_by(AuditEntry.id)
                )
            ).scalars()
        )
        deliveries = (
            await session.execute(
                select(WebhookDelivery).where(WebhookDelivery.incident_id == incident_id).order_by(WebhookDelivery.seq)
            )
        ).scalars()
        webhooks = [
            {
                "seq": d.seq,
                "event": d.event,
                "status": d.status,
                "attempts": d.attempts,
                "created_at": iso(d.created_at),
                "delivered_at": iso(d.delivered_at),
            }
            for d in deliveries
        ]
    return {
        "format": FORMAT,
        "exported_at": iso(now),
        "incident": record,
        "timeline": record.pop("timeline"),
        "webhooks": webhooks,
        "audit": [audit_view(e, {}) for e in entries],
    }
