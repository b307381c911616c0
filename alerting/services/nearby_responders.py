"""Responders a dispatcher could alert by hand to an incident: near it, on duty, with a fresh
position, not alerted to it yet, and passing the same eligibility a manual alert checks. For the
control room only: the live map's count, and (with names and positions) the dispatcher's list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import incident as m
from alerting.domain.eligibility import allowed_groups
from alerting.domain.incident_dispatch import LIVE_ALERT_STATES, hand_alert_refusal
from alerting.services.candidates import enrich
from alerting.services.context import Services
from alerting.services.errors import NotFound
from alerting.services.incident_store import load
from alerting.services.phase_firing import groups_private_ok
from alerting.store.models import Responder

__all__ = ["Nearby", "eligible_near", "for_dispatcher", "search_radius_m"]

MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class Nearby:
    responder_id: str
    name: str
    distance_m: float
    eta_s: float | None
    lat: float
    lon: float
    groups: tuple[str, ...]


def search_radius_m(state: m.IncidentState) -> float:
    """The incident's widest phase radius: as far as its policy would ever look."""
    return max((p.radius_m for p in state.phases), default=0.0)


async def eligible_near(
    session: AsyncSession,
    services: Services,
    state: m.IncidentState,
    trust_id: str,
    *,
    now: float,
    radius_m: float | None = None,
    limit: int = MAX_LISTED,
) -> list[Nearby]:
    """Nearest first. Only incidents that still need someone (alerting or exhausted) have any."""
    if state.status not in (m.ALERTING, m.EXHAUSTED):
        return []
    radius = search_radius_m(state) if radius_m is None else radius_m
    private_ok = await groups_private_ok(session, state, trust_id)
    groups = {g for p in state.phases for g in allowed_groups(p.groups, state.location_type, private_ok)}
    if radius <= 0 or not groups:
        return []
    live = {rid for rid, a in state.alerts.items() if a.state in LIVE_ALERT_STATES}
    hits = await services.index.nearest(
        trust_id,
        state.lat,
        state.lon,
        radius_m=radius,
        groups=sorted(groups),
        limit=limit * 2,
        exclude=live,
        max_age_s=state.policy.location_max_age_s,
        now=now,
    )
    candidates = await enrich(
        session,
        trust_id=trust_id,
        incident_id=state.id,
        hits=hits,
        now=now,
        count_recent=state.policy.max_alerts_per_hour is not None,
        settings=services.settings,
    )
    names = dict(
        (
            await session.execute(
                select(Responder.id, Responder.name).where(
                    Responder.trust_id == trust_id, Responder.id.in_([c.responder_id for c in candidates])
                )
            )
        ).all()
    )
    where = {h.responder_id: h for h in hits}
    out: list[Nearby] = []
    for c in candidates:
        # The index lists only the available with a fresh position: the rest is the manual alert's rule.
        event = m.AlertedByHand(c.responder_id, names.get(c.responder_id, ""), c, True, now, now, private_ok, "")
        if hand_alert_refusal(state, event) is not None:
            continue
        hit = where[c.responder_id]
        out.append(
            Nearby(
                c.responder_id,
                names.get(c.responder_id, c.responder_id),
                c.distance_m,
                c.eta_s,
                hit.lat,
                hit.lon,
                c.groups,
            )
        )
    return out[:limit]


async def for_dispatcher(
    session: AsyncSession, services: Services, *, trust_id: str, incident_id: str, radius_m: float | None
) -> dict[str, Any]:
    """The list a dispatcher picks from, with names and positions: `{radius_m, responders}`."""
    loaded = await load(session, incident_id, lock=False)
    if loaded is None or loaded.row.trust_id != trust_id:
        raise NotFound("no such incident")
    state = loaded.state
    radius = search_radius_m(state) if radius_m is None else radius_m
    found = await eligible_near(session, services, state, trust_id, now=services.clock(), radius_m=radius)
    return {
        "radius_m": radius,
        "responders": [
            {
                "id": n.responder_id,
                "name": n.name,
                "distance_m": round(n.distance_m, 1),
                "eta_s": n.eta_s,
                "lat": n.lat,
                "lon": n.lon,
                "groups": list(n.groups),
            }
            for n in found
        ],
    }
