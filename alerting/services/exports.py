"""One incident's full record as a JSON document: for a clinical review, a complaint or a court.

The export itself is audited (who took a copy of the record, and when), and the export includes
that entry, so the copy shows its own provenance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.audit_text import Names, action_text, actor_of, changes, subject
from alerting.services import incidents
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit, subjects
from alerting.store.models import Alerter, AuditEntry, Group, Incident, Responder, WebhookDelivery
from alerting.timefmt import iso, utc

FORMAT = "alerting.incident-export/1"


def audit_view(row: AuditEntry, names: Names) -> dict[str, Any]:
    """An audit row for a reader: who acted as `{kind, id, name}` (`actor_ref` is the raw record),
    what they did (`what`) and about whom or what (`subject`) in words, what changed in words,
    and a responder pseudonym resolved while its link still exists (`responder`)."""
    view = {
        "id": row.id,
        "at": iso(row.at),
        "actor": actor_of(row.actor, row.actor_name, names),
        "actor_ref": row.actor,
        "action": row.action,
        "what": action_text(row.action),
        "subject": subject(row.target, row.before, row.after, names),
        "changes": changes(row.before, row.after, names),
        "target": row.target,
        "before": row.before,
        "after": row.after,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }
    if row.target and row.target.startswith(subjects.PREFIX):
        view["responder"] = names.responder_ids.get(row.target[len(subjects.PREFIX) :])
    return view


async def audit_names(session: AsyncSession, trust_id: str, rows: Iterable[AuditEntry]) -> Names:
    """The words the entries' identifiers stand for, as far as they still resolve: group names,
    responders behind pseudonyms (until erased), responders acting, incidents' CAD references."""
    rows = list(rows)
    # responders acting are recorded by pseudonym (entries from before that, by their id)
    acting = {r.actor.split(":")[1] for r in rows if r.actor.startswith("responder:") and r.actor.count(":") == 2}
    named = [r.target for r in rows] + [subjects.PREFIX + a for a in acting if a.startswith("ps_")]
    pseudonyms = await subjects.resolve(session, trust_id, named)
    wanted = set(pseudonyms.values()) | {a for a in acting if not a.startswith("ps_")}
    people: dict[str, str] = {}
    if wanted:
        found = await session.execute(
            select(Responder.id, Responder.name).where(Responder.trust_id == trust_id, Responder.id.in_(wanted))
        )
        people = {rid: name for rid, name in found.all()}
    acting_names = {a: people[pseudonyms.get(a, a)] for a in acting if pseudonyms.get(a, a) in people}
    incident_ids = {r.target.split(" ", 1)[1] for r in rows if r.target and r.target.startswith("incident ")}
    refs: dict[str, str] = {}
    if incident_ids:
        found = await session.execute(
            select(Incident.id, Incident.cad_ref).where(Incident.trust_id == trust_id, Incident.id.in_(incident_ids))
        )
        refs = {incident_target(iid): ref for iid, ref in found.all()}
    groups = await session.execute(select(Group.id, Group.name).where(Group.trust_id == trust_id))
    targets = {subjects.PREFIX + ps: people.get(rid, rid) for ps, rid in pseudonyms.items()} | refs
    # alerters are recorded by pseudonym, as actor and target (entries from before that, by their id)
    named_alerters = {r.actor.split(":")[1] for r in rows if r.actor.startswith("alerter:") and r.actor.count(":") == 2}
    named_alerters |= {r.target.split(" ", 1)[1] for r in rows if r.target and r.target.startswith("alerter ")}
    alerter_ids = await subjects.resolve_alerters(session, trust_id, named_alerters)
    wanted_alerters = set(alerter_ids.values()) | {a for a in named_alerters if not a.startswith("ps_")}
    alerter_names: dict[str, str] = {}
    if wanted_alerters:
        found = await session.execute(
            select(Alerter.id, Alerter.name).where(Alerter.trust_id == trust_id, Alerter.id.in_(wanted_alerters))
        )
        by_id = dict(found.all())
        alerter_names = {a: by_id[alerter_ids.get(a, a)] for a in named_alerters if alerter_ids.get(a, a) in by_id}
    targets |= {f"alerter {ident}": name for ident, name in alerter_names.items()}
    return Names(
        groups=dict(groups.all()),
        targets=targets,
        responders=acting_names,
        responder_ids=pseudonyms,
        alerters=alerter_names,
    )


def incident_target(incident_id: str) -> str:
    return f"incident {incident_id}"


async def export_incident(uow: UnitOfWork, *, trust_id: str, incident_id: str, actor: str) -> dict[str, Any]:
    """The export is audited in the same transaction, so the record lists its own export."""
    services, session, now = uow.services, uow.session, uow.services.clock()
    record = await incidents.view(session, services, trust_id=trust_id, incident_id=incident_id, with_names=True)
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
    names = await audit_names(session, trust_id, entries)
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
        "audit": [audit_view(e, names) for e in entries],
    }
