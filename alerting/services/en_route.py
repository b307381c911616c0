"""En route: where an assigned responder is while on their way, and when they are expected.

Positions come from the live index only (the frames the app already sends), so they follow its
retention rule and are never written to SQL; only responders the incident machine tracks (accepted,
not arrived, the incident open: `incident_tracking.is_tracked`) are ever shown.
"""

from __future__ import annotations

from alerting.domain import incident as m
from alerting.domain.incident_tracking import is_tracked
from alerting.services import travel
from alerting.services.context import Services
from alerting.settings import Settings
from geo.distance import eta_s

Position = tuple[float, float, float]  # lat, lon, when reported


def live_eta(settings: Settings, distance_m: float, travel_mode: str | None) -> int:
    """Seconds to the scene from `distance_m` at the speed of the responder's travel mode."""
    return eta_s(
        distance_m, walking_speed_mps=travel.speed_mps(settings, travel_mode), route_factor=settings.route_factor
    )


async def tracked_positions(services: Services, trust_id: str, state: m.IncidentState) -> dict[str, Position]:
    """The last position of each responder on their way to this incident (none once they arrive,
    are stood down or the incident ends, or once retention has dropped it)."""
    found: dict[str, Position] = {}
    for rid in state.alerts:
        if is_tracked(state, rid) and (pos := await services.index.position(trust_id, rid)) is not None:
            found[rid] = pos
    return found
