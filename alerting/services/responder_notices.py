"""Telling responders something that is not an alert (a check-in, a credential reminder): on
their sockets now, and by push to each of their devices, since a notice is worth a wake-up."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from alerting.push.base import PushMessage
from alerting.services import push_subscriptions
from alerting.services.context import Services
from alerting.services.unit_of_work import reading, unit_of_work

log = logging.getLogger(__name__)

PUSH_TTL_S = 86_400  # a notice still means something tomorrow; an alert does not

Notice = tuple[str, str, dict[str, Any]]  # (trust id, responder id, frame)


async def tell(services: Services, notices: Sequence[Notice], *, what: str) -> None:
    """Send each frame to its responder's sockets and devices; forget devices the push service
    says are gone. Called after the commit that claimed the notices, so a crash re-sends none."""
    if not notices:
        return
    live = services.redis.pipeline(transaction=False)
    for trust_id, responder_id, frame in notices:
        services.bus.to_responder_in(live, trust_id, responder_id, frame)
    await live.execute()
    async with reading(services) as session:
        devices = await push_subscriptions.devices_of(session, [(t, r) for t, r, _ in notices])
    gone: list[str] = []
    for trust_id, responder_id, frame in notices:
        mine = devices.get((trust_id, responder_id))
        if not mine:
            continue
        message = PushMessage(payload=frame, ttl_s=PUSH_TTL_S, urgency="normal")
        sent = await push_subscriptions.send(services, mine, message)
        gone += sent.gone
        if sent.failures:
            log.warning(f"{what} push failed", extra={"responder": responder_id, "error": "; ".join(sent.failures)})
    if gone:
        async with unit_of_work(services) as uow:
            await push_subscriptions.forget(uow, gone)
