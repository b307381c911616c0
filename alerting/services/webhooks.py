"""Delivers an incident's webhooks to its CAD: signed, in order, retried, every attempt on record.

The outbox (`webhook_deliveries`) is written in the same transaction as the event it reports, so
nothing is announced that did not happen and nothing that happened is lost. Delivery is strictly
in `seq` order per incident: a later event waits until the earlier one is acknowledged (any 2xx)
or given up, which happens when the next try would fall after the alert TTL. One worker at a time
delivers an incident's events (a Redis lock), and every attempt, with its outcome, is written to
the incident's timeline. A CAD dedupes on the `X-Alerting-Delivery` id, the same on every retry.

A delivery run is a job of several units of work, one per attempt: the next delivery is read, the
HTTP call is made with no transaction (and no pooled connection) held, and its outcome is written
in a unit of work of its own.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.vocabulary import TimelineEvent
from alerting.domain.webhook_retry import next_attempt_at
from alerting.domain.webhook_signature import DELIVERY_HEADER, EVENT_HEADER, HEADER, sign
from alerting.services import cad_keys, callback_guard, policies
from alerting.services.context import Services
from alerting.services.secret_box import SecretBoxError
from alerting.services.unit_of_work import UnitOfWork, reading, unit_of_work
from alerting.store.models import Incident, TimelineEntry, WebhookDelivery
from alerting.store.types import from_ts, to_ts
from alerting.timefmt import iso, utc

__all__ = ["deliver", "due_incidents"]

log = logging.getLogger(__name__)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
USER_AGENT = "responder-alerting-webhooks/1"


@dataclass(frozen=True, slots=True)
class _Job:
    delivery_id: str
    seq: int
    event: str
    body: bytes
    url: str
    keys: list[str]
    give_up_at: float
    key_problem: str = "the trust has no CAD key that can sign; rotate the CAD key"


async def _next_job(session: AsyncSession, services: Services, incident_id: str, now: float) -> _Job | None:
    """The head of the incident's queue if it is due; None if the queue is empty or the head waits
    for a retry (whoever recorded that failure scheduled it, and the sweep backs that up)."""
    head = (
        await session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.incident_id == incident_id, WebhookDelivery.status == PENDING)
            .order_by(WebhookDelivery.seq)
            .limit(1)
        )
    ).scalar_one_or_none()
    if head is None:
        return None
    if head.next_attempt_at is not None and to_ts(head.next_attempt_at) > now:
        return None
    incident = await session.get_one(Incident, incident_id)  # a delivery's incident exists (foreign key)
    if incident.policy_version is not None:
        policy = await policies.policy_version(session, incident.trust_id, incident.policy_version)
    else:
        policy = (await policies.current_policy(session, incident.trust_id))[1]
    job = _Job(
        head.id,
        head.seq,
        head.event,
        head.body.encode(),
        incident.callback_url or "",
        [],
        to_ts(head.created_at) + policy.alert_ttl_s,
    )
    try:
        keys = await cad_keys.signing_keys(session, services.secret_box, trust_id=incident.trust_id, now=now)
    except SecretBoxError as exc:
        # A deployment whose processes disagree on ALERTING_SECRET_KEY: the attempt is recorded as
        # failed with this reason (and retried), so the CAD's timeline shows why nothing arrives.
        log.error("cannot decrypt the CAD key to sign a webhook", extra={"incident_id": incident_id})
        return replace(job, key_problem=str(exc))
    return replace(job, keys=keys)


async def _post(client: httpx.AsyncClient, services: Services, job: _Job, now: float) -> tuple[bool, dict[str, object]]:
    """One attempt. Returns (acknowledged, what to record). Redirects are not followed: a CAD
    must give the final URL, and a redirect must not carry a signed event somewhere else. The URL
    is checked again here, not only at intake: its host may resolve somewhere else by now."""
    if not job.keys:
        return False, {"error": job.key_problem}
    if not job.url:
        return False, {"error": "the incident has no callback_url"}
    if reason := await callback_guard.refusal(job.url, services.settings):
        log.warning("webhook destination refused", extra={"delivery_id": job.delivery_id, "reason": reason})
        return False, {"error": reason}
    headers = {
        "Content-Type": "application/json",
        HEADER: sign(job.keys, int(now), job.body),
        DELIVERY_HEADER: job.delivery_id,
        EVENT_HEADER: job.event,
        "User-Agent": USER_AGENT,
    }
    try:
        response = await client.post(job.url, content=job.body, headers=headers)
    except httpx.HTTPError as exc:
        return False, {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return 200 <= response.status_code < 300, {"status_code": response.status_code}


async def _record(
    uow: UnitOfWork, incident_id: str, job: _Job, acknowledged: bool, outcome: dict[str, object], now: float
) -> float | None:
    """Write the attempt and its consequence; return the retry time if one was scheduled."""
    services, session = uow.services, uow.session
    retry_at: float | None = None
    row = (
        await session.execute(select(WebhookDelivery).where(WebhookDelivery.id == job.delivery_id).with_for_update())
    ).scalar_one()
    row.attempts += 1
    if acknowledged:
        row.status, row.delivered_at, row.next_attempt_at, result = DELIVERED, utc(now), None, "delivered"
    else:
        retry_at = next_attempt_at(
            now,
            row.attempts,
            base_s=services.settings.webhook_backoff_base_s,
            cap_s=services.settings.webhook_backoff_cap_s,
            draw=random.random(),
            give_up_at=job.give_up_at,
        )
        if retry_at is None:
            row.status, row.next_attempt_at, result = FAILED, None, "given_up"
        else:
            row.next_attempt_at, result = from_ts(retry_at), "retry"
    data: dict[str, object] = {
        "delivery_id": job.delivery_id,
        "webhook_event": job.event,
        "seq": job.seq,
        "attempt": row.attempts,
        "outcome": result,
        **outcome,
    }
    if retry_at is not None:
        data["next_attempt_at"] = iso(retry_at)
    session.add(TimelineEntry(incident_id=incident_id, at=utc(now), event=TimelineEvent.WEBHOOK_ATTEMPT, data=data))
    if result == "given_up":
        session.add(
            TimelineEntry(
                incident_id=incident_id,
                at=utc(now),
                event=TimelineEvent.WEBHOOK_GIVEN_UP,
                data={"delivery_id": job.delivery_id, "webhook_event": job.event, "attempts": row.attempts},
            )
        )
    if result == "given_up":
        extra = {"incident_id": incident_id, "delivery_id": job.delivery_id, "attempts": row.attempts}

        async def given_up() -> None:  # said once it is on record
            log.warning("webhook given up", extra=extra)

        uow.after_commit(given_up)
    return retry_at


async def deliver(services: Services, incident_id: str) -> float | None:
    """Send the incident's due webhooks in order. Returns when the caller should run this again
    (a retry this call scheduled, or a lock held by another worker), or None when nothing is left
    for this call to do. Running it twice at once or too early is harmless."""
    # The lock outlives one attempt (the HTTP timeout) by a margin and is renewed per attempt; a
    # worker killed mid-attempt delays that incident's webhooks by at most this timeout.
    lock = services.redis.lock(
        services.keys.webhook_lock(incident_id),
        timeout=services.settings.webhook_timeout_s + 10,
        blocking=False,
    )
    if not await lock.acquire():
        return services.clock() + 1.0  # another worker is delivering; look again shortly in case it just finished
    try:
        async with httpx.AsyncClient(timeout=services.settings.webhook_timeout_s, follow_redirects=False) as client:
            while True:
                await lock.reacquire()  # each attempt gets the full lock time, however long the queue
                now = services.clock()
                async with reading(services) as session:
                    job = await _next_job(session, services, incident_id, now)
                if job is None:
                    return None
                acknowledged, outcome = await _post(client, services, job, now)
                async with unit_of_work(services) as uow:
                    retry_at = await _record(uow, incident_id, job, acknowledged, outcome, services.clock())
                if retry_at is not None:
                    return retry_at
    finally:
        await lock.release()


async def due_incidents(session: AsyncSession, *, now: float, limit: int = 500) -> list[str]:
    """Incidents with a pending delivery already due: what the sweep re-queues after a lost task."""
    rows = await session.execute(
        select(WebhookDelivery.incident_id)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= utc(now))
        .group_by(WebhookDelivery.incident_id)
        .limit(limit)
    )
    return list(rows.scalars())
