"""A dispatcher's actions on an incident (the CAD key may do the same): cancel with a reason, alert
one named responder, fire the next phase now, message everyone alerted or assigned; and a
responder's message back to the control room.

Each runs in the edge's unit of work: hold the incident, read what the domain needs (positions,
eligibility, candidates), feed it one event, refuse with the domain's code if it says so (the unit
of work then rolls back: nothing changed), else save, queue the effects and write the audit entry
naming the person.
"""

from __future__ import annotations

from typing import Any

from alerting.domain import incident as m
from alerting.services import auth
from alerting.services.candidates import enrich
from alerting.services.effects import record
from alerting.services.errors import NotFound, Refused, Unavailable
from alerting.services.exports import incident_target
from alerting.services.incident_store import Loaded, load, save
from alerting.services.phase_firing import fire_due, groups_private_ok, next_phase_candidates
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit, subjects
from alerting.store.models import Alert, Responder
from alerting.timefmt import iso, utc
from geo.distance import haversine_m
from geo.index import Hit

__all__ = ["alert_responder", "by_words", "cancel", "confirm", "escalate", "message_from_responder", "send_message"]


def by_words(principal: auth.Principal) -> str:
    """Who acted, as the timeline says it: the person's name, or which credential."""
    if principal.kind == auth.STAFF and principal.name:
        return principal.name
    return {auth.CAD: "the CAD", auth.ADMIN: "the trust's API key"}.get(principal.kind, principal.kind)


async def _held(uow: UnitOfWork, trust_id: str, incident_id: str) -> Loaded:
    loaded = await load(uow.session, incident_id, lock=True)
    if loaded is None or loaded.row.trust_id != trust_id:
        raise NotFound("no such incident")
    return loaded


def _apply(uow: UnitOfWork, loaded: Loaded, event: m.Event, *, now: float) -> list[m.Decision]:
    decisions = m.handle(loaded.state, event)
    rejects = [d for d in decisions if isinstance(d, m.Reject)]
    if rejects:
        raise Refused(rejects[0].code, rejects[0].detail)  # the unit of work rolls back: nothing changed
    save(uow.session, loaded, trust_id=loaded.row.trust_id, now=now)
    return decisions


async def _finish(
    uow: UnitOfWork,
    loaded: Loaded,
    decisions: list[m.Decision],
    *,
    now: float,
    principal: auth.Principal,
    action: str,
    target: str | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    uow.publish(await record(uow.session, loaded.row, loaded.state, decisions, now=now))
    await audit.append(
        uow.session,
        at=utc(now),
        actor=principal.actor,
        action=action,
        trust_id=loaded.row.trust_id,
        target=target or incident_target(loaded.row.id),
        after=after,
    )


async def cancel(uow: UnitOfWork, *, trust_id: str, incident_id: str, reason: str, principal: auth.Principal) -> None:
    """Everyone still involved is stood down. Cancelling an ended incident changes nothing (CADs retry)."""
    now = uow.services.clock()
    loaded = await _held(uow, trust_id, incident_id)
    if loaded.state.status in m.ENDED_STATUSES:
        return
    by = by_words(principal) if principal.kind == auth.STAFF else None
    decisions = _apply(uow, loaded, m.Cancelled(reason, now, by), now=now)
    await _finish(
        uow, loaded, decisions, now=now, principal=principal, action="incident.cancel", after={"reason": reason}
    )


async def confirm(uow: UnitOfWork, *, trust_id: str, incident_id: str, principal: auth.Principal) -> None:
    """An alert an alerter raised, awaiting confirmation, starts its phase now. Confirming one that
    no longer waits changes nothing; a CAD's incident, or an ended one, is refused (409)."""
    now = uow.services.clock()
    loaded = await _held(uow, trust_id, incident_id)
    decisions = m.handle(loaded.state, m.Confirmed(now, by_words(principal)))
    rejects = [d for d in decisions if isinstance(d, m.Reject)]
    if rejects:
        raise Refused(rejects[0].code, rejects[0].detail)
    if not decisions:
        return
    decisions += await fire_due(uow.session, uow.services, loaded.state, trust_id, now)
    save(uow.session, loaded, trust_id=trust_id, now=now)
    await _finish(uow, loaded, decisions, now=now, principal=principal, action="incident.confirm")


async def _hand_alert_event(
    uow: UnitOfWork, loaded: Loaded, responder_id: str, principal: auth.Principal, now: float
) -> m.AlertedByHand:
    """What the domain needs to decide: the responder as a phase would see them, their duty switch
    and the age of their position, measured from this incident."""
    services, session, state = uow.services, uow.session, loaded.state
    trust_id = loaded.row.trust_id
    row = await session.get(Responder, (trust_id, responder_id))
    private_ok = await groups_private_ok(session, state, trust_id)
    by = by_words(principal)
    if row is None:
        return m.AlertedByHand(responder_id, responder_id, None, False, None, now, private_ok, by)
    position = await services.index.position(trust_id, responder_id)
    available = await services.index.available(trust_id, responder_id)
    if position is None:
        distance, lat, lon, at = 0.0, state.lat, state.lon, None
    else:
        lat, lon, at = position
        distance = haversine_m(lat, lon, state.lat, state.lon)
    found = await enrich(
        session,
        trust_id=trust_id,
        incident_id=state.id,
        hits=[Hit(responder_id, distance, lat, lon, tuple(row.groups))],
        now=now,
        count_recent=state.policy.max_alerts_per_hour is not None,
        settings=services.settings,
    )
    candidate = found[0] if found else None
    return m.AlertedByHand(responder_id, row.name, candidate, available is not False, at, now, private_ok, by)


async def alert_responder(
    uow: UnitOfWork, *, trust_id: str, incident_id: str, responder_id: str, principal: auth.Principal
) -> dict[str, Any]:
    """Alerts one named responder by hand; refused (409, with a code) when they are not eligible."""
    now = uow.services.clock()
    loaded = await _held(uow, trust_id, incident_id)
    event = await _hand_alert_event(uow, loaded, responder_id, principal, now)
    decisions = _apply(uow, loaded, event, now=now)
    target = await subjects.target(uow.session, trust_id, responder_id)
    await _finish(
        uow,
        loaded,
        decisions,
        now=now,
        principal=principal,
        action="incident.alert",
        target=target,
        after={"cad_ref": loaded.row.cad_ref},
    )
    alert = loaded.state.alerts[responder_id]
    return {
        "alert_id": alert.alert_id,
        "responder_id": responder_id,
        "state": alert.state,
        "distance_m": alert.distance_m,
        "alerted_at": iso(alert.alerted_at),
        "expires_at": iso(alert.expires_at),
        "eta_s": event.candidate.eta_s if event.candidate else None,  # from their travel mode
    }


async def escalate(
    uow: UnitOfWork, *, trust_id: str, incident_id: str, phase: str | None, principal: auth.Principal
) -> dict[str, Any]:
    """Fires the next phase now; refused when there is none, or `phase` names another one."""
    services, now = uow.services, uow.services.clock()
    loaded = await _held(uow, trust_id, incident_id)
    if refusal := m.escalation_refusal(loaded.state, phase):  # before asking the index anything
        raise Refused(refusal.code, refusal.detail)
    if not await services.generation.ready(now):
        raise Unavailable(
            "responders' positions are being restored after an outage; fire the phase again in a few seconds",
            headers={"Retry-After": str(round(services.generation.heartbeat_s) or 1)},
        )
    name = loaded.state.phases[loaded.state.phases_fired].name
    candidates, private_ok = await next_phase_candidates(uow.session, services, loaded.state, trust_id, now)
    before = set(loaded.state.alerts)
    decisions = _apply(uow, loaded, m.Escalated(now, candidates, private_ok, by_words(principal), phase), now=now)
    alerted = sorted(set(loaded.state.alerts) - before)
    await _finish(
        uow, loaded, decisions, now=now, principal=principal, action="incident.escalate", after={"phase": name}
    )
    return {"phase": name, "alerted": alerted}


async def send_message(
    uow: UnitOfWork, *, trust_id: str, incident_id: str, text: str, principal: auth.Principal
) -> dict[str, Any]:
    """One `message` frame to each responder alerted or assigned; the words go in the timeline."""
    now = uow.services.clock()
    loaded = await _held(uow, trust_id, incident_id)
    decisions = _apply(
        uow,
        loaded,
        m.ControlMessage(text, now, by_words(principal), alerter=loaded.row.alerter_id is not None),
        now=now,
    )
    to = [d.responder_id for d in decisions if isinstance(d, m.SendMessage)]
    # The audit keeps who wrote to how many, not the words: those may be clinical and stay with the incident.
    await _finish(
        uow, loaded, decisions, now=now, principal=principal, action="incident.message", after={"recipients": len(to)}
    )
    return {"from": "control", "by": by_words(principal), "text": text, "at": iso(now), "to": to}


async def message_from_responder(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, alert_id: str, text: str
) -> dict[str, Any]:
    """A responder's words to the control room: the timeline, the console, and `responder.message`."""
    now = uow.services.clock()
    alert = await uow.session.get(Alert, alert_id)
    if alert is None or alert.trust_id != trust_id or alert.responder_id != responder_id:
        raise NotFound("no such alert")  # another responder's alert is not yours to see either
    loaded = await _held(uow, trust_id, alert.incident_id)
    decisions = _apply(uow, loaded, m.ResponderMessage(responder_id, text, now), now=now)
    uow.publish(await record(uow.session, loaded.row, loaded.state, decisions, now=now))
    return {"alert_id": alert_id, "from": "responder", "text": text, "at": iso(now)}
