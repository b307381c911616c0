"""Alerts that no app acknowledged in time (or that found no socket) go out by push as well.

Runs in the worker: the API schedules a check `ack_timeout_s` after it publishes alerts, and at
once for responders no process held a socket for. Each alert is claimed in Redis before it is
pushed, so overlapping checks push it once; the outcome is written to the incident timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import delete, select

from alerting.domain.delivery import due_for_push
from alerting.domain.incident import AedInfo
from alerting.domain.vocabulary import TimelineEvent
from alerting.push.base import PushFailed, PushMessage, PushProvider, SubscriptionGone
from alerting.services.context import Services
from alerting.services.frames import alert_frame
from alerting.services.incident_store import load
from alerting.store.models import PushSubscription, TimelineEntry
from alerting.timefmt import utc

log = logging.getLogger(__name__)


async def push_unacknowledged(
    services: Services, provider: PushProvider, incident_id: str, *, no_socket: Collection[str] = ()
) -> int:
    """Pushes what is due now; returns how many pushes the push service accepted."""
    now = services.clock()
    async with services.sessions() as session:
        loaded = await load(session, incident_id, lock=False)
        if loaded is None:
            return 0
        due = due_for_push(loaded.state, now, no_socket=no_socket)
        if not due:
            return 0
        trust_id, row, state = loaded.row.trust_id, loaded.row, loaded.state
        subs = {
            s.responder_id: s
            for s in (
                await session.execute(
                    select(PushSubscription).where(
                        PushSubscription.trust_id == trust_id,
                        PushSubscription.responder_id.in_([a.responder_id for a in due]),
                    )
                )
            ).scalars()
        }
    outcomes: list[tuple[str, dict[str, str]]] = []
    gone: list[str] = []
    for alert in due:
        sub = subs.get(alert.responder_id)
        if sub is None:
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
        try:
            await provider.send({"endpoint": sub.endpoint, "keys": sub.keys}, PushMessage(payload=frame, ttl_s=ttl))
            outcomes.append((TimelineEvent.ALERT_PUSHED, {"responder": alert.responder_id}))
        except SubscriptionGone:
            gone.append(alert.responder_id)
            outcomes.append(
                (TimelineEvent.ALERT_PUSH_FAILED, {"responder": alert.responder_id, "reason": "subscription gone"})
            )
        except PushFailed as exc:
            log.warning(
                "push failed", extra={"incident_id": incident_id, "responder": alert.responder_id, "error": str(exc)}
            )
            outcomes.append((TimelineEvent.ALERT_PUSH_FAILED, {"responder": alert.responder_id, "reason": str(exc)}))
    if outcomes or gone:
        async with services.sessions() as session, session.begin():
            for event, data in outcomes:
                session.add(TimelineEntry(incident_id=incident_id, at=utc(services.clock()), event=event, data=data))
            if gone:
                await session.execute(
                    delete(PushSubscription).where(
                        PushSubscription.trust_id == trust_id, PushSubscription.responder_id.in_(gone)
                    )
                )
    return sum(1 for event, _ in outcomes if event == TimelineEvent.ALERT_PUSHED)
