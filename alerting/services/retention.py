"""Privacy retention: a position is kept only as long as it is useful for alerting.

Positions live only in the live index (never in SQL). The periodic task drops every position older
than `position_retention_s`; the responder stays registered and reappears with their next report.
It also adopts what an index layout this version no longer reads still holds (`geo.index.LAYOUT`):
an old-version process of a rolling deploy may have written there since this one started.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from alerting.services.context import Services
from alerting.services.unit_of_work import reading
from alerting.store.models import Responder, Trust

log = logging.getLogger(__name__)


def is_expired(reported_at: float, *, now: float, retention_s: float) -> bool:
    return reported_at < now - retention_s


async def purge_positions(services: Services, *, retention_s: float | None = None, batch: int = 1000) -> int:
    """Forget positions reported more than `retention_s` ago; returns how many were dropped."""
    retention_s = services.settings.position_retention_s if retention_s is None else retention_s
    now = services.clock()
    dropped = 0
    trusts: set[str] = set()
    after: tuple[str, str] = ("", "")
    while True:
        async with reading(services) as session:
            rows = (
                await session.execute(
                    select(Responder.trust_id, Responder.id, Responder.groups, Responder.status)
                    .where(
                        (Responder.trust_id > after[0]) | ((Responder.trust_id == after[0]) & (Responder.id > after[1]))
                    )
                    .order_by(Responder.trust_id, Responder.id)
                    .limit(batch)
                )
            ).all()
        if not rows:
            break
        for trust_id, responder_id, groups, status in rows:
            if trust_id not in trusts:  # records an upgrade of the index's layout left behind
                trusts.add(trust_id)
                await services.index.adopt_previous_layouts(trust_id, now=now)
            position = await services.index.position(trust_id, responder_id)
            if position is None or not is_expired(position[2], now=now, retention_s=retention_s):
                continue
            # The index has no "forget the position only": drop the entry and put the profile back.
            await services.index.remove(trust_id, responder_id)
            await services.index.set_profile(
                trust_id, responder_id, groups=list(groups), active=status == "active", now=now
            )
            dropped += 1
        after = (rows[-1][0], rows[-1][1])
    if dropped:
        log.info("purged stale positions", extra={"count": dropped, "retention_s": retention_s})
    return dropped


async def adopt_previous_index_layouts(services: Services) -> int:
    """At an API process's start: every trust's responders still in the index layout of the version
    before (`geo.index.PREVIOUS_LAYOUTS`) come over before this one serves, so an upgrade does not
    leave a phase finding nobody until phones report again. Returns how many were adopted."""
    async with reading(services) as session:
        trust_ids = (await session.execute(select(Trust.id).order_by(Trust.id))).scalars().all()
    adopted = 0
    for trust_id in trust_ids:
        adopted += await services.index.adopt_previous_layouts(trust_id, now=services.clock())
    if adopted:
        log.warning("live index: adopted responders from the previous layout", extra={"responders": adopted})
    return adopted
