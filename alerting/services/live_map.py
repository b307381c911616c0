"""The admin live map: single-use tickets, snapshots of open incidents, and the event stream.

The stream listens on the trust's channel of the live bus (every incident change is published
there after its commit) and answers each event with the incident's map view, so a change made on
any process or worker shows on every open map.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import incident as m
from alerting.domain.incident_tracking import is_tracked
from alerting.live import bus
from alerting.services import auth, policies
from alerting.services.context import Services
from alerting.services.en_route import live_eta
from alerting.services.errors import NotFound, Unauthorized
from alerting.services.incident_store import load
from alerting.services.map_view import SHOWN_STATES, incident_view
from alerting.services.nearby_responders import eligible_near
from alerting.services.unit_of_work import reading
from alerting.store.models import Aed, Incident, Responder, Trust
from alerting.store.types import to_ts
from alerting.timefmt import utc
from geo.distance import haversine_m

KEEPALIVE_S = 15.0


def _ticket_key(services: Services, ticket: str) -> str:
    return services.keys.console_ticket(auth.token_hash(ticket))


async def issue_ticket(services: Services, *, trust_id: str, actor: str) -> dict[str, Any]:
    """A random ticket, stored hashed in Redis for a few seconds, good for opening one stream."""
    ticket = secrets.token_urlsafe(32)
    ttl = services.settings.console_ticket_ttl_s
    await services.redis.set(_ticket_key(services, ticket), json.dumps({"trust_id": trust_id, "actor": actor}), ex=ttl)
    return {"ticket": ticket, "expires_in_s": ttl}


async def redeem_ticket(services: Services, *, trust_id: str, ticket: str | None) -> None:
    """Consumes the ticket; an unknown, used or expired one is 401, another trust's is 404."""
    raw = await services.redis.getdel(_ticket_key(services, ticket)) if ticket else None
    if raw is None:
        raise Unauthorized("the live-map ticket is missing, used or expired; request a new one")
    if json.loads(raw)["trust_id"] != trust_id:
        raise NotFound("no such trust")


async def _view(session: AsyncSession, services: Services, trust_id: str, incident_id: str) -> dict[str, Any] | None:
    loaded = await load(session, incident_id, lock=False)
    if loaded is None or loaded.row.trust_id != trust_id:
        return None
    state = loaded.state
    shown = [rid for rid, a in state.alerts.items() if a.state in SHOWN_STATES]
    positions: dict[str, tuple[float, float]] = {}
    names: dict[str, str] = {}
    etas: dict[str, int] = {}
    if shown and loaded.state.status in m.OPEN_STATUSES:
        for rid in shown:
            pos = await services.index.position(trust_id, rid)
            if pos is not None:
                positions[rid] = (pos[0], pos[1])
        rows = await session.execute(
            select(Responder.id, Responder.name, Responder.travel_mode).where(
                Responder.trust_id == trust_id, Responder.id.in_(shown)
            )
        )
        for rid, name, mode in rows.all():
            names[rid] = name
            if is_tracked(state, rid) and rid in positions:  # on their way: when they are expected
                lat, lon = positions[rid]
                etas[rid] = live_eta(services.settings, haversine_m(lat, lon, state.lat, state.lon), mode)
    nearby = None
    if state.status in (m.ALERTING, m.EXHAUSTED):
        nearby = len(await eligible_near(session, services, state, trust_id, now=services.clock()))
    return incident_view(
        state,
        address=loaded.row.address,
        positions=positions,
        names=names,
        etas=etas,
        updated_at=to_ts(loaded.row.updated_at),
        eligible_nearby=nearby,
    )


SHOWN_UNTIL_ACTED_ON = (*m.OPEN_STATUSES, m.AWAITING_CONFIRMATION)


async def open_views(services: Services, trust_id: str) -> list[dict[str, Any]]:
    """Every open incident (alerting, filled), every bystander's alarm still waiting for a
    dispatcher to confirm it (until its `confirm_timeout_s` closes it: nobody is alerted until someone acts), and
    any other changed within `console_ended_keep_s`: a cancelled or closed one (the map greys it),
    an exhausted one (a dispatcher may still alert someone by hand) or one the policy alerts no one
    for. A CAD that never closes those does not fill the map with them."""
    recently = utc(services.clock() - services.settings.console_ended_keep_s)
    async with reading(services) as session:
        ids = (
            await session.execute(
                select(Incident.id)
                .where(
                    Incident.trust_id == trust_id,
                    or_(Incident.status.in_(SHOWN_UNTIL_ACTED_ON), Incident.updated_at >= recently),
                )
                .order_by(Incident.created_at)
            )
        ).scalars()
        views = [await _view(session, services, trust_id, i) for i in list(ids)]
    return [v for v in views if v is not None]


async def snapshot(services: Services, trust_id: str) -> dict[str, Any]:
    """Everything the map draws on opening: area, policy zones, defibrillators, open incidents."""
    async with reading(services) as session:
        trust = await session.get(Trust, trust_id)
        if trust is None:
            raise NotFound("no such trust")
        aeds = (await session.execute(select(Aed).where(Aed.trust_id == trust_id).order_by(Aed.id))).scalars()
        aed_list = [
            {
                "id": a.id,
                "name": a.name,
                "access": a.access,
                "opening_hours": a.opening_hours,
                "lat": a.lat,
                "lon": a.lon,
            }
            for a in aeds
        ]
        policy = await policies.current(session, trust_id)
    zones = [{"name": z["name"], "area": z["area"]} for z in (policy[1].get("zones") or [] if policy else [])]
    return {
        "trust": {"id": trust.id, "name": trust.name, "area": trust.area},
        "zones": zones,
        "aeds": aed_list,
        "incidents": await open_views(services, trust_id),
        "ended_keep_s": services.settings.console_ended_keep_s,
    }


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def stream(services: Services, trust_id: str) -> AsyncIterator[str]:
    """Server-sent events: `snapshot`, then `incident` on every change and periodic refreshes of the
    open ones, then `reconnect` when the stream's lifetime is over."""
    settings = services.settings
    pubsub = bus.subscription(services.redis)
    await pubsub.ssubscribe(services.keys.trust_channel(trust_id))  # before the snapshot: no gap
    try:
        yield f"retry: 2000\n{sse('snapshot', await snapshot(services, trust_id))}"
        started = last_sent = next_refresh = time.monotonic()
        next_refresh += settings.console_refresh_s
        while (now := time.monotonic()) < started + settings.console_stream_max_s:
            wait = max(0.0, min(next_refresh, last_sent + KEEPALIVE_S, started + settings.console_stream_max_s) - now)
            message = await bus.next_message(pubsub, timeout=wait) if wait else None
            if message is not None and message.get("type") == "smessage":
                event = json.loads(message["data"])
                if event.get("type") == "incident" and event.get("incident_id"):
                    async with reading(services) as session:
                        view = await _view(session, services, trust_id, event["incident_id"])
                    if view is not None:
                        yield sse("incident", view)
                        last_sent = time.monotonic()
            now = time.monotonic()
            if now >= next_refresh:
                for view in await open_views(services, trust_id):
                    yield sse("incident", view)
                next_refresh, last_sent = now + settings.console_refresh_s, now
            elif now >= last_sent + KEEPALIVE_S:
                yield ": keepalive\n\n"
                last_sent = now
        yield sse("reconnect", {"reason": "stream lifetime reached; open a new one with a new ticket"})
    finally:
        await pubsub.aclose()
