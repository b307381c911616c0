"""Incidents: intake, phase timers, changes from the CAD, and the status view.

Each operation runs in the caller's unit of work: it holds the incident row, feeds the domain an
event, saves what changed and queues what to publish once the edge has committed. Phase 0 runs
inside the CAD's request.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import incident as m
from alerting.domain.incident_dispatch import message_log
from alerting.domain.policy import Policy
from alerting.domain.report import IncidentReport
from alerting.domain.vocabulary import IntakeEffect, TimelineEvent
from alerting.logcontext import incident_context
from alerting.services import effects, en_route, policies, travel
from alerting.services.context import Services
from alerting.services.errors import Conflict, Invalid, NotFound, Refused
from alerting.services.frames import aed_view, outcome_frame
from alerting.services.incident_store import Loaded, insert_new, load, new_row, on_postgresql, save
from alerting.services.phase_firing import fire_due
from alerting.services.trust_cache import trust_area
from alerting.services.unit_of_work import UnitOfWork
from alerting.store.models import Aed as AedRow
from alerting.store.models import CadMessageRef, Incident, Responder, TimelineEntry
from alerting.store.types import from_ts, to_ts
from alerting.timefmt import iso, utc
from geo import aed_hours
from geo.aeds import Aed
from geo.distance import eta_s, haversine_m

log = logging.getLogger(__name__)
IDENTIFIER_MAX = 128  # a cad_ref's length, and a remembered CAD message identifier's


async def nearest_aed(
    uow: UnitOfWork, trust_id: str, lat: float, lon: float, *, at: float, policy: Policy
) -> m.AedInfo | None:
    """The nearest AED in reach that may be used at `at`: not private, and not shut then in the
    trust's time zone. A shut nearer one is passed over for the next that is open."""
    services = uow.services
    if not await services.aeds.loaded(trust_id):
        await _reload_aeds(uow, trust_id)

    def usable(aed: Aed) -> bool:
        return aed_hours.offered(
            aed.access,
            aed.opening_hours,
            at=at,
            zone=policy.time_zone,
            country=policy.public_holidays,
            lat=aed.lat,
            lon=aed.lon,
        )

    found = await services.aeds.nearest(trust_id, lat, lon, max_m=services.settings.aed_max_distance_m, usable=usable)
    if found is None:
        return None
    aed, distance = found
    return m.AedInfo(
        id=aed.id,
        name=aed.name,
        access=aed.access,
        lat=aed.lat,
        lon=aed.lon,
        distance_m=distance,
        opening_hours=aed.opening_hours,
    )


async def _reload_aeds(uow: UnitOfWork, trust_id: str) -> None:
    """Redis lost (or never had) this trust's AEDs: SQL is the system of record. Read on the unit of
    work's own connection, so a request never waits for a second pooled one while holding one."""
    rows = (await uow.session.execute(select(AedRow).where(AedRow.trust_id == trust_id))).scalars().all()
    await uow.services.aeds.replace(
        trust_id, [Aed(r.id, r.name, r.access, r.lat, r.lon, r.opening_hours) for r in rows]
    )


async def _outside_area(session: AsyncSession, trust_id: str, lat: float, lon: float) -> Invalid | None:
    """The refusal for a point outside the trust's service area, or None when it is inside."""
    if (await trust_area(session, trust_id)).contains(lat, lon):
        return None
    return Invalid(
        f"the point ({lat}, {lon}) is outside the trust's service area",
        extra={"errors": [{"loc": "lat,lon", "msg": "outside the trust's service area"}]},
    )


async def _find(session: AsyncSession, trust_id: str, cad_ref: str) -> Incident | None:
    return (
        await session.execute(select(Incident).where(Incident.trust_id == trust_id, Incident.cad_ref == cad_ref))
    ).scalar_one_or_none()


async def named(session: AsyncSession, *, trust_id: str, cad_refs: tuple[str, ...]) -> str | None:
    """The id of the trust's incident named by the first of `cad_refs` that names one: the
    `cad_ref` it was reported under, or the identifier of a CAD message that changed it."""
    rows = await session.execute(
        select(Incident.cad_ref, Incident.id).where(Incident.trust_id == trust_id, Incident.cad_ref.in_(cad_refs))
    )
    found: dict[str, str] = {cad_ref: incident_id for cad_ref, incident_id in rows.all()}
    if missing := [ref for ref in cad_refs if ref not in found]:
        rows = await session.execute(
            select(CadMessageRef.identifier, CadMessageRef.incident_id).where(
                CadMessageRef.trust_id == trust_id, CadMessageRef.identifier.in_(missing)
            )
        )
        found |= {identifier: incident_id for identifier, incident_id in rows.all()}
    return next((found[ref] for ref in cad_refs if ref in found), None)


async def remember_message(uow: UnitOfWork, *, trust_id: str, identifier: str, incident_id: str) -> None:
    """Keep a CAD message that acted on the incident by its identifier, so a later message whose
    references name only it (not the original Alert) finds the incident too."""
    if len(identifier) > IDENTIFIER_MAX or await uow.session.get(CadMessageRef, (trust_id, identifier)) is not None:
        return
    uow.session.add(
        CadMessageRef(
            trust_id=trust_id, identifier=identifier, incident_id=incident_id, created_at=utc(uow.services.clock())
        )
    )


async def _phase0(
    uow: UnitOfWork,
    trust_id: str,
    report: IncidentReport,
    revision_at: float | None,
    now: float,
    version: int | None,
    policy: Policy,
) -> tuple[Incident, m.IncidentState, list[m.Decision]]:
    """The new incident under `policy` and what its phase 0 decided; nothing is written yet."""
    aed = await nearest_aed(
        uow, trust_id, report.lat, report.lon, at=now, policy=policy
    )  # its time zone says what is open
    state = m.new_incident(
        id=uuid.uuid4().hex,
        cad_ref=report.cad_ref,
        lat=report.lat,
        lon=report.lon,
        category=report.category,
        location_type=report.location_type,
        created_at=now,
        policy=policy,
        policy_version=version,
        aed=aed,
        flags=report.flags,
        ambulance_eta_s=report.ambulance_eta_s,
    )
    decisions = m.handle(state, m.Reported(now))
    decisions += await fire_due(uow.session, uow.services, state, trust_id, now)
    # The row is made once phase 0 has run, so it is written once, complete.
    row = new_row(
        state,
        trust_id=trust_id,
        address=report.address,
        notes=report.notes,
        callback_url=report.callback_url,
        now=now,
    )
    row.cad_revision_at = from_ts(revision_at)
    return row, state, decisions


async def report(
    uow: UnitOfWork, *, trust_id: str, report: IncidentReport, revision_at: float | None = None
) -> tuple[dict[str, Any], bool]:
    """Record and run phase 0. The same cad_ref again returns the first incident, unchanged: the
    unique (trust, cad_ref) decides at the insert, so a first post pays no lookup for it.
    `revision_at` is the time the CAD gave its document, which later documents are ordered against."""
    services, session, now = uow.services, uow.session, uow.services.clock()
    on_pg = on_postgresql(session)
    if on_pg and report.callback_url is None:  # no webhook rows: the incident's INSERT is the one write
        await uow.one_statement()
    if refusal := await _outside_area(session, trust_id, report.lat, report.lon):
        existing = await _find(session, trust_id, report.cad_ref)
        if existing is not None:
            return await view(session, services, trust_id=trust_id, incident_id=existing.id), False
        raise refusal
    remembered = services.policies if on_pg else None
    while True:
        version, policy = await policies.current_policy(session, trust_id, remembered=remembered)
        row, state, decisions = await _phase0(uow, trust_id, report, revision_at, now, version, policy)
        timeline: list[dict[str, Any]] = []
        fx = await effects.record(session, row, state, decisions, now=now, timeline_into=timeline)
        try:  # a repeated cad_ref fails here; a remembered policy version no longer the newest answers False
            guard = remembered is not None
            if await insert_new(session, row, state, trust_id=trust_id, timeline=timeline, guard_policy=guard):
                break
        except IntegrityError:
            await uow.discard()  # another request with this cad_ref won the insert: answer with its incident
            existing = await _find(session, trust_id, report.cad_ref)
            if existing is None:
                raise
            return await view(session, services, trust_id=trust_id, incident_id=existing.id), False
        # Another process changed the policy and this one has not heard yet: run again on the version
        # read afresh, written as read (a change committed meanwhile is concurrent with this report).
        log.info("the trust's policy changed meanwhile; phase 0 runs again on the newest", extra={"trust_id": trust_id})
        services.policies.forget(trust_id)
        await uow.discard()
        remembered = None
    alerted = len(state.alerts)

    async def publish() -> None:
        with incident_context(state.id):
            await effects.publish(services, fx, open_limit=state.accept_limit if state.status == m.ALERTING else None)
            log.info("incident reported", extra={"trust_id": trust_id, "alerted": alerted})

    uow.after_commit(publish)
    answer: dict[str, Any] = {
        "id": state.id,
        "cad_ref": state.cad_ref,
        "status": state.status,
        "phase": state.phase_name,
        "alerted": len(state.alerts),
    }
    if state.reason is not None:
        answer |= {"reason": state.reason, "reason_code": state.reason_code}
    return answer, True


def _publish(uow: UnitOfWork, incident_id: str, fx: effects.Effects) -> None:
    services = uow.services

    async def publish() -> None:
        with incident_context(incident_id):
            await effects.publish(services, fx)

    uow.after_commit(publish)


async def transition(
    uow: UnitOfWork, *, incident_id: str, events: list[m.Event], trust_id: str | None = None, fire: bool = True
) -> tuple[Loaded, effects.Effects]:
    """Hold the incident, feed it events (then any due phases), save, and queue the effects."""
    with incident_context(incident_id):
        session, now = uow.session, uow.services.clock()
        loaded = await load(session, incident_id, lock=True)
        if loaded is None or (trust_id is not None and loaded.row.trust_id != trust_id):
            raise NotFound("no such incident")
        decisions: list[m.Decision] = []
        for event in events:
            decisions += m.handle(loaded.state, event)
        decisions += await fire_due(session, uow.services, loaded.state, loaded.row.trust_id, now, phases=fire)
        save(session, loaded, trust_id=loaded.row.trust_id, now=now)
        fx = await effects.record(session, loaded.row, loaded.state, decisions, now=now)
    _publish(uow, incident_id, fx)
    return loaded, fx


async def wake(uow: UnitOfWork, *, incident_id: str) -> None:
    """The timer and the sweep both land here: expire what is due, fire what is due. Idempotent."""
    await transition(uow, incident_id=incident_id, events=[m.AlertExpired(uow.services.clock())])


async def overdue(session: AsyncSession, *, now: float, limit: int = 500) -> list[str]:
    """Incidents whose timer is due: alerting ones, and raised alarms whose wait for a dispatcher
    has run out. A held alarm saved before it had a timer (no `wake_at`) is woken once: the wake
    saves the timer it has now."""
    rows = await session.execute(
        select(Incident.id)
        .where(
            or_(
                and_(Incident.status.in_((m.ALERTING, m.AWAITING_CONFIRMATION)), Incident.wake_at <= utc(now)),
                and_(Incident.status == m.AWAITING_CONFIRMATION, Incident.wake_at.is_(None)),
            )
        )
        .order_by(Incident.wake_at)
        .limit(limit)
    )
    return list(rows.scalars())


def _refuse_if_ended(state: m.IncidentState) -> None:
    if state.status in m.ENDED_STATUSES:
        raise Conflict(f"the incident is {state.status}; an ended incident cannot be changed")


def _stale(row: Incident, revision_at: float | None) -> bool:
    """A CAD document no later than the last one applied: a retry, or one overtaken in transit."""
    return revision_at is not None and row.cad_revision_at is not None and revision_at <= to_ts(row.cad_revision_at)


def _differing(loaded: Loaded, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes a restating document makes: what it gives that the incident does not already hold."""
    s, row = loaded.state, loaded.row
    held = {"lat": s.lat, "lon": s.lon, "category": s.category, "notes": row.notes, "address": row.address}
    out = {k: v for k, v in changes.items() if k not in held or held[k] != v}
    if "flags" in out and set(out["flags"]) == set(s.flags):
        del out["flags"]
    if ("lat" in out) != ("lon" in out):  # one axis moved: the point moves, both are given
        out |= {k: changes.get(k, held[k]) for k in ("lat", "lon")}
    return out


AFTER_END = ("outcome", "ambulance_arrived_at")  # what the CAD may still say once the job has ended


def _refuse_future(changes: dict[str, Any], *, now: float, skew_s: float) -> None:
    arrived = changes.get("ambulance_arrived_at")
    if arrived is not None and arrived > now + skew_s:
        raise Invalid(
            "ambulance_arrived_at is in the future",
            extra={"errors": [{"loc": "ambulance_arrived_at", "msg": "must not be in the future"}]},
        )


def _afterwards(row: Incident, changes: dict[str, Any]) -> list[m.Decision]:
    """The outcome and the crew's arrival: kept on the row, each change a timeline entry."""
    out: list[m.Decision] = []
    outcome = changes.get("outcome")
    if outcome is not None and outcome != row.outcome:
        was = row.outcome
        row.outcome = str(outcome)
        out.append(m.Record(TimelineEvent.OUTCOME, {"outcome": str(outcome)} | ({"was": was} if was else {})))
    arrived = changes.get("ambulance_arrived_at")
    if arrived is not None and (row.ambulance_arrived_at is None or to_ts(row.ambulance_arrived_at) != arrived):
        row.ambulance_arrived_at = from_ts(arrived)
        out.append(m.Record(TimelineEvent.AMBULANCE_ARRIVED, {"ambulance_arrived_at": iso(arrived)}))
    return out


async def patch(uow: UnitOfWork, *, trust_id: str, incident_id: str, changes: dict[str, Any]) -> None:
    """Move, recategorise and annotate together: all of it applies, or none of it. The area and
    the responders' positions are read before the row is held, so the lock waits on no Redis call.
    The outcome and the crew's arrival come after the job, so an ended incident still takes them
    (and only them)."""
    services, session, now = uow.services, uow.session, uow.services.clock()
    _refuse_future(changes, now=now, skew_s=services.settings.cad_clock_skew_s)
    during = any(k not in AFTER_END for k in changes)  # a change only an open incident takes
    distances: dict[str, float] | None = None  # set when the point moves
    loaded = await load(session, incident_id, lock=False)
    if loaded is None or loaded.row.trust_id != trust_id:
        raise NotFound("no such incident")
    if during:
        _refuse_if_ended(loaded.state)
    lat, lon = changes.get("lat", loaded.state.lat), changes.get("lon", loaded.state.lon)
    if (lat, lon) != (loaded.state.lat, loaded.state.lon):
        if refusal := await _outside_area(session, trust_id, lat, lon):
            raise refusal
        distances = {}
        for rid, alert in loaded.state.alerts.items():
            if alert.state in (m.ALERTED, m.ACCEPTED):
                pos = await services.index.position(trust_id, rid)
                if pos is not None:
                    distances[rid] = haversine_m(pos[0], pos[1], lat, lon)
    moved: m.Moved | None = None
    if distances is not None:
        aed = await nearest_aed(uow, trust_id, lat, lon, at=now, policy=loaded.state.policy)
        moved = m.Moved(lat, lon, now, distances, aed)
    loaded = await load(session, incident_id, lock=True)
    if loaded is None:
        raise NotFound("no such incident")
    if during:
        _refuse_if_ended(loaded.state)  # it may have ended since the read; still nothing changes
    decisions: list[m.Decision] = m.handle(loaded.state, moved) if moved else []
    if "cad_ref" in changes:
        decisions += await _adopted(session, loaded, str(changes["cad_ref"]), now)
    if "category" in changes and changes["category"] != loaded.state.category:
        decisions += m.handle(loaded.state, m.Recategorised(changes["category"], now))
    if "flags" in changes:
        decisions += m.handle(loaded.state, m.FlagsChanged(tuple(changes["flags"]), now))
    if "ambulance_eta_s" in changes:
        decisions += m.handle(loaded.state, m.AmbulanceEtaChanged(changes["ambulance_eta_s"], now))
    rejects = [d for d in decisions if isinstance(d, m.Reject)]
    if rejects:
        raise Refused(rejects[0].code, rejects[0].detail)  # the edge rolls everything back
    if "notes" in changes and changes["notes"] != loaded.row.notes:
        loaded.row.notes = changes["notes"]
        decisions.append(m.Record(TimelineEvent.NOTES_UPDATED, {}))
    if "address" in changes and changes["address"] != loaded.row.address:
        loaded.row.address = changes["address"]  # before the effects: a re-sent alert carries it
        decisions.append(m.Record(TimelineEvent.ADDRESS_UPDATED, {}))
    told = _afterwards(loaded.row, changes)
    decisions += told
    if loaded.state.status not in m.ENDED_STATUSES:
        decisions += await fire_due(session, services, loaded.state, loaded.row.trust_id, now)
    save(session, loaded, trust_id=trust_id, now=now)
    if "cad_ref" in changes:
        try:
            await session.flush()  # a CAD post of the same cad_ref racing this one: one of them wins
        except IntegrityError as exc:
            raise Conflict(f"cad_ref {changes['cad_ref']!r} names another incident of this trust") from exc
    fx = await effects.record(session, loaded.row, loaded.state, decisions, now=now)
    if any(d.event == TimelineEvent.OUTCOME for d in told if isinstance(d, m.Record)):
        fx.frames += await _outcome_frames(session, loaded)
    uow.publish(fx)


async def _adopted(session: AsyncSession, loaded: Loaded, cad_ref: str, now: float) -> list[m.Decision]:
    """The CAD adopts a raised alert under its own reference, which must name no other incident."""
    if cad_ref != loaded.state.cad_ref:
        other = await _find(session, loaded.row.trust_id, cad_ref)
        if other is not None and other.id != loaded.row.id:
            raise Conflict(
                f"cad_ref {cad_ref!r} names another incident of this trust",
                extra={"code": "cad_ref_taken", "incident_id": other.id},
            )
    return m.handle(loaded.state, m.Adopted(cad_ref, now, "the CAD"))


async def _outcome_frames(session: AsyncSession, loaded: Loaded) -> list[tuple[str, dict[str, Any]]]:
    """The outcome for each responder who accepted, where the trust shares it (its policy now)."""
    aftercare = (await policies.current_policy(session, loaded.row.trust_id))[1].aftercare
    outcome = loaded.row.outcome
    if not aftercare.share_outcome or outcome is None:
        return []
    text = aftercare.outcome_text(outcome)
    return [
        (a.responder_id, outcome_frame(a.alert_id, loaded.state.id, outcome, text))
        for a in loaded.state.alerts.values()
        if a.accepted_at is not None
    ]


async def revise(
    uow: UnitOfWork, *, trust_id: str, incident_id: str, changes: dict[str, Any], revision_at: float | None
) -> IntakeEffect:
    """A CAD document's changes (a later EIDO, a CAP Update), applied by `patch`, as PATCH applies them.

    The row is held first, so documents of one incident are ordered one at a time: one no later than
    the last document applied (`revision_at`) changes nothing at all. A document may restate what the
    incident already holds; only what differs is a change, so one that changes nothing is not refused
    even when the incident has ended (its time is still kept)."""
    loaded = await load(uow.session, incident_id, lock=True)
    if loaded is None or loaded.row.trust_id != trust_id:
        raise NotFound("no such incident")
    if _stale(loaded.row, revision_at):
        return IntakeEffect.IGNORED
    changes = _differing(loaded, changes)
    if changes:  # a refusal (outside the area, an ended incident) rolls everything back, the time too
        await patch(uow, trust_id=trust_id, incident_id=incident_id, changes=changes)
    if revision_at is not None:
        loaded.row.cad_revision_at = from_ts(revision_at)  # the row patch held and saved: one identity
    return IntakeEffect.UPDATED if changes else IntakeEffect.UNCHANGED


async def end(uow: UnitOfWork, *, trust_id: str, incident_id: str, event: m.Event) -> None:
    """Cancel or close: responders still alerted or assigned are stood down; ending twice is harmless."""
    await transition(uow, incident_id=incident_id, events=[event], trust_id=trust_id, fire=False)


async def end_revised(
    uow: UnitOfWork, *, trust_id: str, incident_id: str, event: m.Cancelled | m.Closed, revision_at: float | None
) -> IntakeEffect:
    """A CAD document that ends the incident (an EIDO closed or cancelled, a CAP Cancel), as the
    cancel and close endpoints end it; one no later than the last document applied changes nothing."""
    with incident_context(incident_id):
        session = uow.session
        loaded = await load(session, incident_id, lock=True)
        if loaded is None or loaded.row.trust_id != trust_id:
            raise NotFound("no such incident")
        if _stale(loaded.row, revision_at):
            return IntakeEffect.IGNORED
        ended = loaded.state.status in m.ENDED_STATUSES
        decisions = m.handle(loaded.state, event)
        if revision_at is not None:
            loaded.row.cad_revision_at = from_ts(revision_at)
        save(session, loaded, trust_id=trust_id, now=event.now)
        fx = await effects.record(session, loaded.row, loaded.state, decisions, now=event.now)
    _publish(uow, incident_id, fx)
    if ended:
        return IntakeEffect.UNCHANGED
    return IntakeEffect.CANCELLED if isinstance(event, m.Cancelled) else IntakeEffect.CLOSED


def _position(pos: en_route.Position | None) -> dict[str, Any] | None:
    return None if pos is None else {"lat": pos[0], "lon": pos[1], "at": iso(pos[2])}


def _live_eta(
    services: Services,
    s: m.IncidentState,
    rid: str,
    positions: dict[str, en_route.Position],
    modes: dict[str, str],
) -> int:
    lat, lon, _ = positions[rid]
    return en_route.live_eta(services.settings, haversine_m(lat, lon, s.lat, s.lon), modes.get(rid))


async def view(
    session: AsyncSession, services: Services, *, trust_id: str, incident_id: str, with_names: bool = False
) -> dict[str, Any]:
    """The incident as its trust sees it. Responders are named only for the trust's own staff
    (`with_names`), with why they declined: the CAD gets the trust's responder id, never the
    person's name."""
    loaded = await load(session, incident_id, lock=False)
    if loaded is None or loaded.row.trust_id != trust_id:
        raise NotFound("no such incident")
    s, row = loaded.state, loaded.row
    factor = services.settings.route_factor
    positions = await en_route.tracked_positions(services, trust_id, s)
    modes: dict[str, str] = {}
    names: dict[str, str] = {}  # an erased responder has no name any more
    if s.alerts:
        for rid, mode, name in (
            await session.execute(
                select(Responder.id, Responder.travel_mode, Responder.name).where(
                    Responder.trust_id == trust_id, Responder.id.in_(list(s.alerts))
                )
            )
        ).all():
            modes[rid], names[rid] = mode, name
    responders = [
        {
            "id": a.responder_id,
            **({"name": names.get(a.responder_id), "decline_reason": a.decline_reason} if with_names else {}),
            "state": a.state,
            "role": a.role,
            "phase": s.phases[a.phase].name if a.phase < len(s.phases) else None,
            "distance_m": a.distance_m,
            "alerted_at": iso(a.alerted_at),
            "delivered_at": iso(a.delivered_at),
            "accepted_at": iso(a.accepted_at),
            "arrived_at": iso(a.arrived_at),
            "statuses": {status: iso(at) for status, at in a.statuses.items()},
            "travel_mode": modes.get(a.responder_id),
            "position": _position(positions.get(a.responder_id)),
            "eta_s": _live_eta(services, s, a.responder_id, positions, modes)
            if a.responder_id in positions
            else eta_s(
                a.distance_m,
                walking_speed_mps=travel.speed_mps(services.settings, modes.get(a.responder_id)),
                route_factor=factor,
            )
            if a.state in (m.ALERTED, m.ACCEPTED)
            else None,
        }
        for a in sorted(s.alerts.values(), key=lambda a: (a.alerted_at, a.distance_m, a.responder_id))
    ]
    timeline = [
        {"at": iso(t.at), "event": t.event, **t.data}
        for t in (
            await session.execute(
                select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.id)
            )
        ).scalars()
    ]
    return {
        "id": s.id,
        "cad_ref": s.cad_ref,
        "status": s.status,
        "phase": s.phase_name,
        "alerted": len(s.alerts),
        "source": s.source,
        "alerter_id": s.alerter_id,
        "category": s.category,
        "location_type": s.location_type,
        "lat": s.lat,
        "lon": s.lon,
        "address": row.address,
        "notes": row.notes,
        "zone": s.zone,
        "policy_version": s.policy_version,
        "accept_limit": s.accept_limit,
        "reason": s.reason,
        "reason_code": s.reason_code,
        "flags": list(s.flags),
        "ambulance_eta_s": s.ambulance_eta_s(services.clock()),
        "ambulance_arrived_at": iso(row.ambulance_arrived_at),
        "outcome": row.outcome,
        "created_at": iso(s.created_at),
        "aed": aed_view(s.aed),
        "responders": responders,
        "messages": message_log(timeline, names if with_names else None),
        "timeline": timeline,
    }
