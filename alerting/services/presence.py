"""Where a responder is and whether they are free: kept only in the live index, never in SQL."""

from __future__ import annotations

import time

from alerting.domain.vocabulary import ErrorCode
from alerting.services import eta_reports
from alerting.services.context import Services
from alerting.services.errors import Invalid, TooMany
from alerting.services.unit_of_work import reading
from alerting.store.models import Responder
from geo.distance import valid_point
from geo.index import LocationUpdate


class LocationRateLimited(TooMany):
    code = ErrorCode.RATE_LIMITED


async def _reseed(services: Services, trust_id: str, responder_id: str) -> bool:
    """The index lost this responder's profile (Redis restarted or was flushed): copy it from SQL."""
    async with reading(services) as session:
        r = await session.get(Responder, (trust_id, responder_id))
    if r is None:
        return False
    await services.index.set_profile(trust_id, r.id, groups=r.groups, active=r.status == "active", now=services.clock())
    return True


async def update_location(
    services: Services, *, trust_id: str, responder_id: str, lat: float, lon: float, accuracy_m: float | None
) -> None:
    if not valid_point(lat, lon):
        raise Invalid("lat must be within -90..90 and lon within -180..180")
    gate, batcher = services.locations.gate, services.locations.batcher
    if not gate.admit((trust_id, responder_id), time.monotonic()):
        wait = gate.retry_after()
        raise LocationRateLimited(
            f"at most {services.settings.location_rate_per_s:g} location update(s) per second; this one was dropped",
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    now = services.clock()
    kept, hint = await batcher.submit_looked_up(trust_id, LocationUpdate(responder_id, lat, lon, accuracy_m, now))
    if not kept:
        if await _reseed(services, trust_id, responder_id):
            await services.index.upsert(trust_id, responder_id, lat, lon, accuracy_m, now)
    if hint is not None:  # on their way to an incident (alerting/live/tracking.py)
        await eta_reports.on_position(
            services, trust_id=trust_id, responder_id=responder_id, hint=hint, lat=lat, lon=lon, now=now
        )


async def set_availability(services: Services, *, trust_id: str, responder_id: str, available: bool) -> None:
    now = services.clock()
    if not await services.index.set_available(trust_id, responder_id, available, now=now):
        if await _reseed(services, trust_id, responder_id):
            await services.index.set_available(trust_id, responder_id, available, now=now)
