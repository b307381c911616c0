"""What the admin live map shows of one incident: pure, so the privacy rule is unit-tested.

Only responders whose alert on an open incident is live (alerted, accepted, arrived) appear, and
only while the incident is open: nobody else's position ever leaves the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alerting.domain import incident as m
from alerting.domain.incident_state import confirm_due_at
from alerting.services.frames import aed_view
from alerting.timefmt import iso

SHOWN_STATES = (m.ALERTED, m.ACCEPTED, m.ARRIVED)
Position = tuple[float, float]


def is_open(status: str) -> bool:
    return status in m.OPEN_STATUSES


def next_phase(state: m.IncidentState) -> dict[str, Any] | None:
    """The phase still to fire and when its timer is due, while the incident alerts."""
    phase = state.next_phase()
    if state.status != m.ALERTING or phase is None or state.started_at is None:
        return None
    return {"name": phase.name, "at": iso(state.started_at + phase.delay_s), "radius_m": phase.radius_m}


def incident_view(
    state: m.IncidentState,
    *,
    address: str | None,
    positions: Mapping[str, Position],
    names: Mapping[str, str],
    etas: Mapping[str, int] | None = None,
    updated_at: float | None = None,
    eligible_nearby: int | None = None,
) -> dict[str, Any]:
    """One map entry: the incident, one ring per phase radius, and its live responders; for the
    control room also how many accepted of how many needed, the next phase and when, and how many
    eligible responders are near and not yet alerted. An ended incident says when it ended (the map
    keeps it a while, greyed) and shows nobody."""
    open_ = is_open(state.status)
    ended = state.status in m.ENDED_STATUSES
    responders = []
    if open_:
        for a in sorted(state.alerts.values(), key=lambda a: (a.distance_m, a.responder_id)):
            if a.state not in SHOWN_STATES:
                continue
            pos = positions.get(a.responder_id)
            responders.append(
                {
                    "id": a.responder_id,
                    "name": names.get(a.responder_id, a.responder_id),
                    "state": a.state,
                    "role": a.role,
                    "distance_m": round(a.distance_m, 1),
                    "lat": pos[0] if pos else None,
                    "lon": pos[1] if pos else None,
                    "eta_s": (etas or {}).get(a.responder_id),  # on their way: seconds to the scene from there
                }
            )
    return {
        "id": state.id,
        "cad_ref": state.cad_ref,
        "status": state.status,
        "open": open_,
        "source": state.source,  # `alerter`: raised by a bystander; `awaiting_confirmation` waits for a dispatcher
        "alerter_id": state.alerter_id,
        "phase": state.phase_name,
        "category": state.category,
        "lat": state.lat,
        "lon": state.lon,
        "address": address,
        "zone": state.zone,
        "created_at": iso(state.created_at),
        "accept_limit": state.accept_limit,
        "accepted": len(state.assigned()),
        "started_at": iso(state.started_at),
        "next_phase": next_phase(state),
        # a raised alarm held for a dispatcher: when it is closed if nobody has confirmed it
        "confirm_by": iso(confirm_due_at(state)),
        "eligible_nearby": eligible_nearby if not ended else None,
        "ended": ended,
        "ended_at": iso(updated_at) if ended and updated_at is not None else None,
        "reason": state.reason,
        "rings": [
            {"phase": p.name, "radius_m": p.radius_m, "delay_s": p.delay_s, "fired": i < state.phases_fired}
            for i, p in enumerate(state.phases)
        ],
        "responders": responders,
        "aed": aed_view(state.aed) if open_ else None,
    }
