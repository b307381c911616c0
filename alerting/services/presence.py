"""Where a responder is and whether they are free: kept only in the live index, never in SQL."""

from __future__ import annotations

from alerting.services.context import Services
from alerting.services.errors import Invalid
from geo.distance import valid_point


async def update_location(services: Services, *, trust_id: str, responder_id: str, lat: float, lon: float,
                          accuracy_m: float | None) -> None:
    if not valid_point(lat, lon):
        raise Invalid("lat must be within -90..90 and lon within -180..180")
    await services.index.upsert(trust_id, responder_id, lat, lon, accuracy_m, services.clock())


async def set_availability(services: Services, *, trust_id: str, responder_id: str, available: bool) -> None:
    await services.index.set_available(trust_id, responder_id, available)
