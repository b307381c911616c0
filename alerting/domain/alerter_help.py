"""What the alerter is told while help comes: how many responders are coming, how near the nearest
is, how soon the first may arrive, and the nearest defibrillator. Pure: the edge brings the
incident's state, the latest positions of the responders on their way and each one's speed.

Only responders who accepted count (an alert nobody answered helps nobody yet); one withdrawn by
a dispatcher, stood down or whose alert ended no longer does. A responder on scene is 0 m and 0 s
away. One on their way is measured from their latest position when the live index has one, else
from where they were when alerted. `nearest_m` and `eta_s` are each the best of all responders
coming: with one on foot 150 m away and one in a car 400 m away, the nearest is 150 m and the
first arrival may be the car's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from alerting.domain.incident_state import (
    ALERTED,
    ARRIVED,
    ASSIGNED_STATES,
    CANCELLED,
    CLOSED,
    AedInfo,
    IncidentState,
)
from alerting.domain.vocabulary import IncidentStatus, NotAlertedReason
from geo.distance import haversine_m

__all__ = ["HelpSummary", "ended_because", "help_summary", "stand_down_reason"]


@dataclass(frozen=True, slots=True)
class HelpSummary:
    incident_id: str
    status: IncidentStatus
    accepted: int  # responders coming or there (accepted or arrived)
    on_scene: int  # of them, those who said they arrived
    alerted: int  # responders alerted who have not answered yet
    nearest_m: int | None  # of those who accepted: None when nobody has
    eta_s: int | None  # the soonest expected arrival of those who accepted
    aed: AedInfo | None  # the incident's nearest AED, as the responders' alerts carry it
    # why it ended, when that is more than its status says: `not_confirmed` for a raised alarm
    # closed because nobody confirmed it in time
    reason_code: str | None = None


def _eta(distance_m: float, speed_mps: float, route_factor: float) -> int:
    return math.ceil(distance_m * route_factor / speed_mps)


def help_summary(
    state: IncidentState,
    *,
    positions: Mapping[str, tuple[float, float]],
    speeds_mps: Mapping[str, float],
    default_speed_mps: float,
    route_factor: float,
) -> HelpSummary:
    """`positions`: the latest (lat, lon) of responders on their way (others are ignored);
    `speeds_mps`: each responder's speed by their travel mode, `default_speed_mps` for the rest."""
    distances: list[float] = []
    etas: list[int] = []
    on_scene = 0
    for alert in state.alerts.values():
        if alert.state not in ASSIGNED_STATES:
            continue
        if alert.state == ARRIVED:
            on_scene += 1
            distances.append(0.0)
            etas.append(0)
            continue
        where = positions.get(alert.responder_id)
        distance = alert.distance_m if where is None else haversine_m(where[0], where[1], state.lat, state.lon)
        distances.append(distance)
        speed = speeds_mps.get(alert.responder_id, default_speed_mps)
        etas.append(_eta(distance, speed if speed > 0 else default_speed_mps, max(1.0, route_factor)))
    return HelpSummary(
        incident_id=state.id,
        status=state.status,
        accepted=len(distances),
        on_scene=on_scene,
        alerted=sum(1 for a in state.alerts.values() if a.state == ALERTED),
        nearest_m=round(min(distances)) if distances else None,
        eta_s=min(etas) if etas else None,
        aed=state.aed,
        reason_code=ended_because(state),
    )


def ended_because(state: IncidentState) -> str | None:
    """`not_confirmed` for an alarm closed because nobody confirmed it in time, else None."""
    if state.status == CLOSED and state.reason_code == NotAlertedReason.NOT_CONFIRMED:
        return state.reason_code.value
    return None


def stand_down_reason(status: IncidentStatus) -> str | None:
    """The alerter stands down when the incident is closed or cancelled (by the CAD or a
    dispatcher); nothing else ends their part: a filled or exhausted incident still needs them."""
    return status.value if status in (CANCELLED, CLOSED) else None
