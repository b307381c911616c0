"""The check-in after an alert: some time after a responder accepted (the policy's
`aftercare.check_in_after_s`), a `check_in` frame and a push ask how they are and the trust's
own questions; the answer is kept for the trust alone, and "need to talk" puts them in the
trust's wellbeing queue and emails its wellbeing contacts.

The row is made in the accept's own transaction (check_in_plan.py), so a check-in is never lost to a crash.
The worker claims due rows (`sent_at` set in the transaction that selects them, skipping rows
another run holds) and sends after the commit: overlapping runs send once. Answers are never in
the audit log; they go with `check_in_retention_s`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.aftercare import CHECK_IN_TEXT
from alerting.domain.vocabulary import Feeling
from alerting.services import policies, responder_notices, wellbeing_mail
from alerting.services.context import Services
from alerting.services.errors import Invalid, NotFound
from alerting.services.unit_of_work import UnitOfWork, unit_of_work
from alerting.store.models import CheckIn, Incident, Responder
from alerting.timefmt import iso, utc

log = logging.getLogger(__name__)


def check_in_frame(row: CheckIn) -> dict[str, Any]:
    return {
        "type": "check_in",
        "alert_id": row.alert_id,
        "incident_id": row.incident_id,
        "text": CHECK_IN_TEXT,
        "feelings": [f.value for f in Feeling],
        "questions": list(row.questions or []),
    }


async def claim_due(uow: UnitOfWork, *, now: float, limit: int = 500) -> list[CheckIn]:
    """Marks due check-ins sent, with the questions the trust asks now; returns them."""
    rows = list(
        (
            await uow.session.execute(
                select(CheckIn)
                .where(CheckIn.sent_at.is_(None), CheckIn.due_at <= utc(now))
                .order_by(CheckIn.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    for row in rows:
        aftercare = (await policies.current_policy(uow.session, row.trust_id))[1].aftercare
        row.sent_at = utc(now)
        row.questions = list(aftercare.questions)
    return rows


async def send_due(services: Services) -> int:
    """The worker's job: claim, commit, then reach each responder on their sockets and by push."""
    async with unit_of_work(services) as uow:
        due = await claim_due(uow, now=services.clock())
        frames = [(r.trust_id, r.responder_id, check_in_frame(r)) for r in due]
    if not frames:
        return 0
    await responder_notices.tell(services, frames, what="check-in")
    log.info("check-ins sent", extra={"count": len(frames)})
    return len(frames)


async def answer(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, alert_id: str, feeling: Feeling, answers: list[str]
) -> dict[str, Any]:
    """The responder's answer, kept (a later answer replaces it). A first "need to talk" emails
    the trust's wellbeing contacts once the answer has committed."""
    session, now = uow.session, uow.services.clock()
    row = await session.get(CheckIn, alert_id, with_for_update=True)
    if row is None or row.trust_id != trust_id or row.responder_id != responder_id:
        raise NotFound("no check-in for this alert")
    asked = list(row.questions or (await policies.current_policy(session, trust_id))[1].aftercare.questions)
    if row.questions is None:
        row.questions = asked
    if len(answers) > len(asked):
        raise Invalid(
            f"{len(answers)} answers to {len(asked)} questions",
            extra={"errors": [{"loc": "answers", "msg": f"at most {len(asked)} answers, one per question"}]},
        )
    was = row.feeling
    row.feeling, row.answers, row.answered_at = feeling.value, answers, utc(now)
    if feeling == Feeling.NEED_TO_TALK and was != Feeling.NEED_TO_TALK:
        contacts = (await policies.current_policy(session, trust_id))[1].aftercare.wellbeing_emails
        named = select(Responder.name).where(Responder.trust_id == trust_id, Responder.id == responder_id)
        name = (await session.execute(named)).scalar_one_or_none()
        services = uow.services

        async def tell() -> None:
            await wellbeing_mail.need_to_talk(services, trust_id=trust_id, to=contacts, responder=name or responder_id)

        uow.after_commit(tell)
    return {"alert_id": alert_id, "feeling": row.feeling, "answered_at": iso(now)}


async def queue(session: AsyncSession, *, trust_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The trust's requests to talk, newest first, with the answers to its questions."""
    rows = (
        await session.execute(
            select(CheckIn, Responder.name, Incident.cad_ref)
            .join(Incident, Incident.id == CheckIn.incident_id)
            .outerjoin(Responder, (Responder.trust_id == CheckIn.trust_id) & (Responder.id == CheckIn.responder_id))
            .where(CheckIn.trust_id == trust_id, CheckIn.feeling == Feeling.NEED_TO_TALK.value)
            .order_by(CheckIn.answered_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "alert_id": c.alert_id,
            "incident_id": c.incident_id,
            "cad_ref": cad_ref,
            "responder_id": c.responder_id,
            "name": name,
            "feeling": c.feeling,
            "answered_at": iso(c.answered_at),
            "answers": [
                {"question": q, "answer": a}
                for q, a in zip(c.questions or [], (c.answers or []) + [""] * len(c.questions or []), strict=False)
            ],
        }
        for c, name, cad_ref in rows
    ]


async def purge(services: Services) -> int:
    """Check-ins, answered or not, made longer ago than `check_in_retention_s`."""
    cutoff = utc(services.clock()) - timedelta(seconds=services.settings.check_in_retention_s)
    async with unit_of_work(services) as uow:
        result = await uow.session.execute(delete(CheckIn).where(CheckIn.created_at < cutoff))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.info("purged old check-ins", extra={"count": count})
    return count
