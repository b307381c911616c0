"""Alerts that no app acknowledged in time (or that found no socket) go out by push as well.

Runs in the worker: the API schedules a check `ack_timeout_s` after it publishes alerts, and at
once for responders no process held a socket for. Each alert is claimed in Redis before it is
pushed, so overlapping checks push it once; the outcome is written to the incident timeline.

Checks arrive in batches (alerting/services/task_queue.py). Most find nothing to push, since an
app acknowledged or the responder has no device, so one query first keeps only the incidents
with an open, unacknowledged alert to someone who has a device; only those are loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import and_, bindparam, select

from alerting.domain import incident as m
from alerting.domain.delivery import due_for_push
from alerting.domain.incident import AedInfo
from alerting.domain.vocabulary import TimelineEvent
from alerting.push.base import PushMessage
from alerting.services import push_subscriptions
from alerting.services.context import Services
from alerting.services.frames import alert_frame
from alerting.services.incident_store import load
from alerting.services.unit_of_work import reading, unit_of_work
from alerting.store.models import Alert, Incident, PushDevice, TimelineEntry
from alerting.timefmt import utc

log = logging.getLogger(__name__)


async def push_unacknowledged(services: Services, incident_id: str, *, no_socket: Collection[str] = ()) -> int:
    """Pushes what is due now to each responder's devices; returns how many alerts reached at least one."""
    now = services.clock()
    async with reading(services) as session:
        loaded = await load(session, incident_id, lock=False)
        if loaded is None:
            return 0
        due = due_for_push(loaded.state, now, no_socket=no_socket)
        if not due:
            return 0
        trust_id, row, state = loaded.row.trust_id, loaded.row, loaded.state
        devices = await push_subscriptions.devices_of(session, [(trust_id, a.responder_id) for a in due])
    outcomes: list[tuple[str, dict[str, str]]] = []
    gone: list[str] = []
    for alert in due:
        mine = devices.get((trust_id, alert.responder_id))
        if not mine:
            continue
        ttl = max(1, int(alert.expires_at - now))
        if not await services.redis.set(services.keys.pushed(trust_id, alert.alert_id), "1", nx=True, ex=ttl):
            continue  # another check pushed it already
        frame = alert_frame(
            incident_id=incident_id,
            category=state.category,
            lat=state.lat,
            lon=state.lon,
            address=row.address,
            alert=alert,
            aed=AedInfo(**row.aed) if row.aed else None,
            location_type=state.location_type,
            policy=state.policy,
        )
        sent = await push_subscriptions.send(services, mine, PushMessage(payload=frame, ttl_s=ttl))
        gone += sent.gone
        if sent.accepted:
            outcomes.append((TimelineEvent.ALERT_PUSHED, {"responder": alert.responder_id}))
        else:
            if sent.failures:
                log.warning(
                    "push failed",
                    extra={"incident_id": incident_id, "responder": alert.responder_id, "error": sent.reason},
                )
            outcomes.append((TimelineEvent.ALERT_PUSH_FAILED, {"responder": alert.responder_id, "reason": sent.reason}))
    if outcomes or gone:
        async with unit_of_work(services) as uow:
            for event, data in outcomes:
                uow.session.add(
                    TimelineEntry(incident_id=incident_id, at=utc(services.clock()), event=event, data=data)
                )
            await push_subscriptions.forget(uow, gone)
    return sum(1 for event, _ in outcomes if event == TimelineEvent.ALERT_PUSHED)


# Built once: constructing the statement costs more than running it.
_WORTH_PUSHING = (
    select(Alert.incident_id)
    .join(Incident, Incident.id == Alert.incident_id)
    .join(PushDevice, and_(PushDevice.trust_id == Alert.trust_id, PushDevice.responder_id == Alert.responder_id))
    .where(
        Alert.incident_id.in_(bindparam("ids", expanding=True)),
        Alert.state == m.ALERTED,
        Alert.delivered_at.is_(None),
        Alert.expires_at > bindparam("now"),
        Incident.status == m.ALERTING,
    )
    .distinct()
)


async def push_unacknowledged_many(services: Services, checks: list[tuple[str, list[str]]]) -> int:
    """Each `(incident id, responders with no socket)` as `push_unacknowledged`; one failing is
    logged and holds no other. Returns how many alerts reached at least one device."""
    if not checks:
        return 0
    now = services.clock()
    async with reading(services) as session:
        ids = list(dict.fromkeys(i for i, _ in checks))
        rows = await session.execute(_WORTH_PUSHING, {"ids": ids, "now": utc(now)})
        worth = set(rows.scalars())
    pushed = 0
    for incident_id, no_socket in checks:
        if incident_id not in worth:
            continue  # nobody there could be pushed: no open unacknowledged alert to a device
        try:
            pushed += await push_unacknowledged(services, incident_id, no_socket=no_socket)
        except Exception:
            log.exception("push check failed", extra={"incident_id": incident_id})
    return pushed
