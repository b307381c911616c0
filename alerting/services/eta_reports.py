"""What a tracked responder's new position sets off: the consoles' maps redraw them, and the CAD
hears their ETA as `responder.eta` at the rate `incident_tracking.eta_report_due` allows.

The rate is kept per responder in their tracking hint (Redis), claimed atomically, so several API
processes receiving one responder's positions report once. The report itself goes through the
incident machine under the incident's lock, which reports nothing for a responder no longer on
their way (and the stale hint is dropped).
"""

from __future__ import annotations

from sqlalchemy import select

from alerting.domain import incident as m
from alerting.domain.incident_tracking import eta_report_due, is_tracked
from alerting.live.tracking import Tracked
from alerting.services.context import Services
from alerting.services.en_route import live_eta
from alerting.services.incidents import transition
from alerting.services.unit_of_work import reading, unit_of_work
from alerting.store.models import Incident, Responder
from geo.distance import haversine_m


async def on_position(
    services: Services, *, trust_id: str, responder_id: str, hint: Tracked, lat: float, lon: float, now: float
) -> None:
    await services.bus.to_trust(trust_id, {"type": "incident", "incident_id": hint.incident_id})
    async with reading(services) as session:
        incident = (
            await session.execute(
                select(Incident.lat, Incident.lon, Incident.status, Incident.alerter_id).where(
                    Incident.id == hint.incident_id, Incident.trust_id == trust_id
                )
            )
        ).one_or_none()
        mode = (
            await session.execute(
                select(Responder.travel_mode).where(Responder.trust_id == trust_id, Responder.id == responder_id)
            )
        ).scalar_one_or_none()
    if incident is None or incident.status in m.ENDED_STATUSES:
        await services.tracking.untrack(trust_id, responder_id, hint.incident_id)
        return
    if incident.alerter_id is not None:  # the alerter hears how near help is now
        await services.bus.help_changed(trust_id, incident.alerter_id, hint.incident_id)
    distance = haversine_m(lat, lon, incident.lat, incident.lon)
    eta = live_eta(services.settings, distance, mode)
    if not eta_report_due(hint.last, now=now, eta_s=eta):
        return
    if not await services.tracking.claim_report(trust_id, responder_id, hint, now=now, eta_s=eta):
        return  # another process reported this responder's ETA since the hint was read
    event = m.EtaReported(responder_id, eta, distance, now)
    async with unit_of_work(services) as uow:
        loaded, _ = await transition(uow, incident_id=hint.incident_id, events=[event], trust_id=trust_id, fire=False)
    if not is_tracked(loaded.state, responder_id):
        await services.tracking.untrack(trust_id, responder_id, hint.incident_id)
