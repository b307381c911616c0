"""An alerter raises the alarm: refusals against misuse, then an ordinary incident.

The phone has already opened its dialler on the emergency number when this runs, so every refusal
says to call it. What is refused (in this order): a suspended alerter or a trust whose policy has
alerters off (403), a point outside the trust's area (422), a second open alert or more than
`max_per_day` raises in 24 hours (429 with Retry-After). A refused raise changes nothing but the
audit: it is raised as `RaiseRefused`, its transaction rolls back, and the edge records the refusal
with the alerter and the reason in a transaction of its own (`audit_refusal`), so the rollback
cannot take the entry with it. An accepted raise is audited with the alerter, recorded as an incident
with `source` `alerter` and runs phase 0 from the policy's `alerter` section in this request
(`auto`), or waits for a dispatcher (`confirm`): the same machinery as a CAD's incident.

The alerter's row is held for the whole raise, so two raises of one alerter racing each other are
decided one after the other: the second sees the first's open alert.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import incident as m
from alerting.domain.alerters import ALERTER_CATEGORY, DAY_S, OPEN_ALERT_RETRY_S, daily_retry_after_s
from alerting.domain.incident_raised import provisional_ref
from alerting.domain.vocabulary import IncidentSource
from alerting.logcontext import incident_context
from alerting.services import alerter_live, effects, incidents, policies
from alerting.services.alerter_frames import help_frame
from alerting.services.alerters import OPEN, OPEN_STATUSES, refuse_if_suspended, suspended_refusal
from alerting.services.alerters import target as alerter_target
from alerting.services.auth import Principal
from alerting.services.context import Services
from alerting.services.errors import Forbidden, Invalid, NotFound, ServiceError, TooMany
from alerting.services.exports import incident_target
from alerting.services.incident_store import Loaded, load, new_row, save
from alerting.services.phase_firing import fire_due
from alerting.services.trust_cache import trust_area
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit
from alerting.store.models import Alerter, Incident
from alerting.store.types import to_ts
from alerting.timefmt import iso, utc

__all__ = ["RaiseRefused", "audit_refusal", "current", "raise_alert"]

log = logging.getLogger(__name__)
REFUSED_ACTION = "alerter.raise_refused"


class RaiseRefused(ServiceError):
    """A raise refused against misuse: answered as `like` (403, 422 or 429) with the same body, and
    carrying the refusal's `code` for the audit the edge writes after the rollback."""

    def __init__(self, like: ServiceError, reason: str):
        super().__init__(like.detail, extra=like.extra, headers=like.headers)
        self.status, self.title, self.code = like.status, like.title, like.code
        self.reason = reason


def _refuse(error: ServiceError, alerter_id: str, trust_id: str, why: str) -> RaiseRefused:
    log.warning("alert raise refused", extra={"trust_id": trust_id, "alerter_id": alerter_id, "reason": why})
    return RaiseRefused(error, str(error.extra.get("code", why)))


async def audit_refusal(uow: UnitOfWork, *, principal: Principal, refused: RaiseRefused) -> None:
    """The refused raise in the audit, with the alerter and why; never where they were (the
    position of a member of the public is theirs). Written in its own unit of work, after the
    refused one rolled back: it changes nothing but the audit."""
    session, now = uow.session, uow.services.clock()
    trust_id, alerter_id = principal.trust, principal.alerter
    alerter = await session.get(Alerter, (trust_id, alerter_id))
    await audit.append(
        session,
        at=utc(now),
        actor=principal.actor,
        action=REFUSED_ACTION,
        trust_id=trust_id,
        # an alerter erased meanwhile gets no new pseudonym: the link would name them again
        target=await alerter_target(session, trust_id, alerter_id) if alerter else None,
        after={"outcome": "refused", "refusal": refused.reason},
    )


async def raise_alert(
    uow: UnitOfWork, *, principal: Principal, lat: float, lon: float, accuracy_m: float | None, notes: str | None
) -> dict[str, Any]:
    services, session, now = uow.services, uow.session, uow.services.clock()
    trust_id, alerter_id = principal.trust, principal.alerter
    alerter = (
        await session.execute(
            select(Alerter).where(Alerter.trust_id == trust_id, Alerter.id == alerter_id).with_for_update()
        )
    ).scalar_one_or_none()
    version, policy = await policies.current_policy(session, trust_id)
    rules = policy.alerter
    number = rules.emergency_number
    said = {"emergency_number": number}
    if alerter is None or alerter.suspended_at is not None:
        raise _refuse(suspended_refusal(number), alerter_id, trust_id, "suspended")
    if not rules.enabled or (alerter.origin == OPEN and rules.who != "anyone"):
        raise _refuse(
            Forbidden(
                f"this trust is not taking alerts from alerters now: call {number} instead",
                extra=said | {"code": "alerters_disabled"},
            ),
            alerter_id,
            trust_id,
            "disabled",
        )
    trust = await get_trust(session, trust_id)
    if not (await trust_area(session, trust_id)).contains(lat, lon):
        raise _refuse(
            Invalid(
                f"this place is outside the area {trust.name} covers, so no responders can be sent from here: "
                f"call {number} now",
                extra=said
                | {"code": "outside_area", "errors": [{"loc": "lat,lon", "msg": "outside the trust's service area"}]},
            ),
            alerter_id,
            trust_id,
            "outside_area",
        )
    await _limits(session, trust_id=trust_id, alerter_id=alerter_id, max_per_day=rules.max_per_day, now=now, said=said)

    incident_id = uuid.uuid4().hex
    aed = await incidents.nearest_aed(uow, trust_id, lat, lon, at=now, policy=policy)
    state = m.new_incident(
        id=incident_id,
        cad_ref=provisional_ref(incident_id),
        lat=lat,
        lon=lon,
        category=ALERTER_CATEGORY,
        location_type="unknown",  # a bystander may be in a home: treated as private
        created_at=now,
        policy=policy,
        policy_version=version,
        aed=aed,
        source=IncidentSource.ALERTER,
        alerter_id=alerter_id,
    )
    decisions = m.handle(state, m.Reported(now))
    decisions += await fire_due(session, services, state, trust_id, now)
    row = new_row(
        state,
        trust_id=trust_id,
        address=None,
        notes=notes,
        callback_url=(trust.settings or {}).get("alerter_callback_url"),
        now=now,
    )
    session.add(row)
    await session.flush()  # before its alerts: their key refers to it
    save(session, Loaded(state, row, {}), trust_id=trust_id, now=now)
    fx = await effects.record(session, row, state, decisions, now=now)
    await audit.append(
        session,
        at=utc(now),
        actor=principal.actor,
        action="alerter.raise",
        trust_id=trust_id,
        target=incident_target(incident_id),
        after={
            "outcome": "raised",
            "status": state.status,
            "mode": rules.mode,
            "accuracy_m": accuracy_m,
        },
    )
    alerted = len(state.alerts)

    async def publish() -> None:
        with incident_context(incident_id):
            await effects.publish(services, fx, open_limit=state.accept_limit if state.status == m.ALERTING else None)
            log.info("alert raised", extra={"trust_id": trust_id, "alerter_id": alerter_id, "alerted": alerted})

    uow.after_commit(publish)
    return {"incident_id": incident_id, "status": state.status, "emergency_number": number, "alerted": alerted}


async def _limits(
    session: AsyncSession, *, trust_id: str, alerter_id: str, max_per_day: int, now: float, said: dict[str, str]
) -> None:
    """One open alert at a time, and at most `max_per_day` in any 24 hours: 429 with Retry-After."""
    number = said["emergency_number"]
    raised = list(
        (
            await session.execute(
                select(Incident.created_at).where(
                    Incident.trust_id == trust_id,
                    Incident.alerter_id == alerter_id,
                    Incident.created_at > utc(now - DAY_S),
                )
            )
        ).scalars()
    )
    open_alert = (
        await session.execute(
            select(Incident.id)
            .where(
                Incident.trust_id == trust_id,
                Incident.alerter_id == alerter_id,
                Incident.status.in_(OPEN_STATUSES),
            )
            .limit(1)
        )
    ).scalar()
    if open_alert is not None:
        raise _refuse(
            TooMany(
                f"your alert is still open and responders are being sent to it; if this is another emergency, "
                f"call {number}",
                extra=said | {"code": "alert_open", "incident_id": open_alert},
                headers={"Retry-After": str(OPEN_ALERT_RETRY_S)},
            ),
            alerter_id,
            trust_id,
            "alert_open",
        )
    retry = daily_retry_after_s([to_ts(at) for at in raised], max_per_day=max_per_day, now=now)
    if retry is not None:
        raise _refuse(
            TooMany(
                f"you have raised {max_per_day} alerts in the last 24 hours, as many as this trust allows: "
                f"call {number}",
                extra=said | {"code": "daily_limit"},
                headers={"Retry-After": str(retry)},
            ),
            alerter_id,
            trust_id,
            "daily_limit",
        )


async def current(session: AsyncSession, services: Services, *, principal: Principal) -> dict[str, Any]:
    """The alerter's open alert as their phone shows it: how many responders accepted and the
    nearest of them, the nearest AED, the messages; 404 when they have none open, 403 while the
    alerter is suspended."""
    trust_id = principal.trust
    await refuse_if_suspended(session, trust_id=trust_id, alerter_id=principal.alerter)
    incident_id = (
        await session.execute(
            select(Incident.id)
            .where(
                Incident.trust_id == trust_id,
                Incident.alerter_id == principal.alerter,
                Incident.status.in_(OPEN_STATUSES),
            )
            .order_by(Incident.created_at.desc())
            .limit(1)
        )
    ).scalar()
    if incident_id is None:
        raise NotFound("you have no open alert")
    loaded = await load(session, incident_id, lock=False)
    if loaded is None:
        raise NotFound("you have no open alert")
    # The same summary the alerter's socket sends (alerting/domain/alerter_help.py), so a reload
    # shows what the last `help` frame said.
    now_help = help_frame(await alerter_live.summary_of(session, services, loaded))
    view = await incidents.view(session, services, trust_id=trust_id, incident_id=incident_id)
    policy = (await policies.current_policy(session, trust_id))[1]
    return {
        **{k: v for k, v in now_help.items() if k != "type"},
        # Who wrote and what, never a responder's id: the alerter is a member of the public.
        "messages": [{"at": x["at"], "from": x["from"], "text": x["text"]} for x in view["messages"]],
        "emergency_number": policy.alerter.emergency_number,
        "created_at": view["created_at"],
        "at": iso(services.clock()),
    }
