"""While help comes, the alerter is told: the help summary of their open alert (read for their
socket and `GET /v1/alerts/current`), and their messages to the responders and the control room.

The summary is the domain's (`alerter_help.help_summary`); here are only its inputs: the incident
from SQL, the latest positions of the responders on their way from the live index (under its
retention, never copied to SQL), and each one's speed from their travel mode.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import incident as m
from alerting.domain.alerter_help import HelpSummary, help_summary, stand_down_reason
from alerting.domain.incident_dispatch import LIVE_ALERT_STATES
from alerting.domain.vocabulary import MessageFrom
from alerting.services import en_route, travel
from alerting.services.alerter_frames import help_frame, stand_down_frame
from alerting.services.alerters import OPEN_STATUSES, refuse_if_suspended
from alerting.services.context import Services
from alerting.services.effects import record
from alerting.services.errors import NotFound, Refused
from alerting.services.incident_store import Loaded, load, save
from alerting.services.unit_of_work import UnitOfWork
from alerting.store.models import Incident, Responder
from alerting.timefmt import iso

__all__ = ["help_frames", "message_from_alerter", "open_incident_id", "raised_by", "summary_of"]


async def open_incident_id(session: AsyncSession, *, trust_id: str, alerter_id: str) -> str | None:
    """The alerter's open alert (as the raise's one-at-a-time limit counts them), the newest first."""
    return (
        await session.execute(
            select(Incident.id)
            .where(Incident.trust_id == trust_id, Incident.alerter_id == alerter_id, Incident.status.in_(OPEN_STATUSES))
            .order_by(Incident.created_at.desc(), Incident.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def raised_by(session: AsyncSession, *, trust_id: str, alerter_id: str, incident_id: str) -> bool:
    """Whether this incident is an alarm this alerter raised, open or ended."""
    found = await session.execute(
        select(Incident.id).where(
            Incident.id == incident_id, Incident.trust_id == trust_id, Incident.alerter_id == alerter_id
        )
    )
    return found.scalar_one_or_none() is not None


async def summary_of(session: AsyncSession, services: Services, loaded: Loaded) -> HelpSummary:
    s, settings = loaded.state, services.settings
    positions = await en_route.tracked_positions(services, loaded.row.trust_id, s)
    coming = [a.responder_id for a in s.assigned()]
    modes: dict[str, str] = {}
    if coming:
        rows = await session.execute(
            select(Responder.id, Responder.travel_mode).where(
                Responder.trust_id == loaded.row.trust_id, Responder.id.in_(coming)
            )
        )
        modes = {rid: mode for rid, mode in rows.all()}
    return help_summary(
        s,
        positions={rid: (lat, lon) for rid, (lat, lon, _) in positions.items()},
        speeds_mps={rid: travel.speed_mps(settings, mode) for rid, mode in modes.items()},
        default_speed_mps=travel.speed_mps(settings, None),
        route_factor=settings.route_factor,
    )


async def help_frames(
    session: AsyncSession, services: Services, *, trust_id: str, alerter_id: str, incident_id: str
) -> list[dict[str, Any]]:
    """`help`, and `stand_down` once the incident is closed or cancelled; nothing for an incident
    that is not this alerter's."""
    loaded = await load(session, incident_id, lock=False)
    if loaded is None or loaded.row.trust_id != trust_id or loaded.row.alerter_id != alerter_id:
        return []
    summary = await summary_of(session, services, loaded)
    frames = [help_frame(summary)]
    if (reason := stand_down_reason(loaded.state.status)) is not None:
        frames.append(stand_down_frame(incident_id, reason, summary.reason_code))
    return frames


async def message_from_alerter(uow: UnitOfWork, *, trust_id: str, alerter_id: str, text: str) -> dict[str, Any]:
    """The alerter's words about their open alert: to each responder alerted or coming (their
    `message` frame, `from: "alerter"`), the console, the CAD (`alerter.message`) and back to the
    alerter's own sockets. 404 with no open alert; 409 `incident_ended` when it ended meanwhile; 403
    while the alerter is suspended."""
    now = uow.services.clock()
    await refuse_if_suspended(uow.session, trust_id=trust_id, alerter_id=alerter_id)
    incident_id = await open_incident_id(uow.session, trust_id=trust_id, alerter_id=alerter_id)
    if incident_id is None:
        raise NotFound("you have no open alert; if someone still needs help, call the emergency number")
    loaded = await load(uow.session, incident_id, lock=True)
    if loaded is None or loaded.row.trust_id != trust_id or loaded.row.alerter_id != alerter_id:
        raise NotFound("you have no open alert")
    to = [a.responder_id for a in loaded.state.alerts.values() if a.state in LIVE_ALERT_STATES]
    decisions = m.handle(loaded.state, m.AlerterMessage(text, now))
    rejects = [d for d in decisions if isinstance(d, m.Reject)]
    if rejects:
        raise Refused(rejects[0].code, rejects[0].detail)  # the unit of work rolls back: nothing changed
    save(uow.session, loaded, trust_id=trust_id, now=now)
    uow.publish(await record(uow.session, loaded.row, loaded.state, decisions, now=now))
    return {
        "incident_id": incident_id,
        "from": MessageFrom.ALERTER.value,
        "text": text,
        "at": iso(now),
        "recipients": len(to),
    }
