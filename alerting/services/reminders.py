"""Credential expiry reminders: a verified credential `credential_reminder_days` from expiring tells
its responder once, as a `reminder` frame on their socket and by push.

Run by the worker's periodic task. Each credential is claimed (`reminded_at` set) in the same
transaction that selects it, and the frames and pushes go out after the commit, so overlapping
runs remind once; a crash between the two loses one reminder, never sends two. A responder who has
already uploaded and had verified a later one of the same kind is not reminded.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from alerting.services import responder_notices
from alerting.services.context import Services
from alerting.services.credentials import VERIFIED, today
from alerting.services.unit_of_work import UnitOfWork, unit_of_work
from alerting.store.models import ResponderCredential
from alerting.timefmt import utc

log = logging.getLogger(__name__)


def reminder_frame(c: ResponderCredential, *, on: date) -> dict[str, Any]:
    days = (c.expires_on - on).days
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return {
        "type": "reminder",
        "reason": "credential_expiring",
        "credential_id": c.id,
        "kind": c.kind,
        "expires_on": c.expires_on.isoformat(),
        "days_left": days,
        "text": f"Your {c.kind} certificate expires {when}. Upload the renewed one in the app to keep being alerted.",
    }


async def claim_due(uow: UnitOfWork, *, now: float, days_before: int, limit: int = 500) -> list[tuple[str, str, dict]]:
    """Marks the credentials due a reminder as reminded; returns (trust, responder, frame) for each."""
    on = today(now)
    later = aliased(ResponderCredential)
    renewed = (
        select(later.id)
        .where(
            later.trust_id == ResponderCredential.trust_id,
            later.responder_id == ResponderCredential.responder_id,
            later.kind == ResponderCredential.kind,
            later.status == VERIFIED,
            later.expires_on > on + timedelta(days=days_before),
        )
        .exists()
    )
    rows = list(
        (
            await uow.session.execute(
                select(ResponderCredential)
                .where(
                    ResponderCredential.responder_id.is_not(None),
                    ResponderCredential.status == VERIFIED,
                    ResponderCredential.reminded_at.is_(None),
                    ResponderCredential.expires_on >= on,
                    ResponderCredential.expires_on <= on + timedelta(days=days_before),
                    ~renewed,
                )
                .order_by(ResponderCredential.expires_on, ResponderCredential.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    out = []
    for c in rows:
        if c.responder_id is None:
            continue  # never: the query selects responders' credentials only
        c.reminded_at = utc(now)
        out.append((c.trust_id, c.responder_id, reminder_frame(c, on=on)))
    return out


async def send_due(services: Services) -> int:
    """The worker's periodic job: claim, commit, then tell each responder. Returns how many."""
    async with unit_of_work(services) as uow:
        due = await claim_due(uow, now=services.clock(), days_before=services.settings.credential_reminder_days)
    if not due:
        return 0
    await responder_notices.tell(services, due, what="reminder")
    log.info("credential reminders sent", extra={"count": len(due)})
    return len(due)
