"""A responder suspended or erased is out at once: every open alert of theirs is stood down in the
caller's transaction, and after the commit every socket they hold, on any API process, is closed
with a close code that says so (the token is refused from then on: `auth.resolve`)."""

from __future__ import annotations

from sqlalchemy import select

from alerting.domain import incident as m
from alerting.services import effects
from alerting.services.incident_store import load, save
from alerting.services.unit_of_work import UnitOfWork
from alerting.store.models import Alert, Incident

OPEN_ALERT_STATES = (m.ALERTED, *m.ASSIGNED_STATES)
LIVE_STATUSES = (*m.OPEN_STATUSES, m.EXHAUSTED)  # an exhausted incident still takes accepts


async def withdraw(uow: UnitOfWork, *, trust_id: str, responder_id: str) -> int:
    """Stands down the responder's open alerts and queues the end of their sockets; returns how many
    alerts were stood down. Incidents are held one at a time, in id order, like every transition."""
    session, now = uow.session, uow.services.clock()
    incident_ids = (
        await session.execute(
            select(Alert.incident_id)
            .join(Incident, Incident.id == Alert.incident_id)
            .where(
                Alert.trust_id == trust_id,
                Alert.responder_id == responder_id,
                Alert.state.in_(OPEN_ALERT_STATES),
                Incident.status.in_(LIVE_STATUSES),
            )
            .order_by(Alert.incident_id)
        )
    ).scalars()
    stood_down = 0
    for incident_id in list(incident_ids):
        loaded = await load(session, incident_id, lock=True)
        if loaded is None:
            continue
        decisions = m.handle(loaded.state, m.Withdrawn(responder_id, now))
        if not decisions:
            continue
        stood_down += 1
        save(session, loaded, trust_id=trust_id, now=now)
        uow.publish(await effects.record(session, loaded.row, loaded.state, decisions, now=now))
    bus = uow.services.bus
    uow.after_commit(lambda: bus.end_responder_sockets(trust_id, responder_id))
    return stood_down
