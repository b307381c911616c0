"""What a responder does: accept, decline, arrive, acknowledge; and the alerts still open for them.

An accept is refereed by the atomic Redis script before SQL is touched, so a thousand simultaneous
accepts cost one script call each and exactly `accept_limit` of them win. Losers are answered at
once; the winner that fills the incident stands the rest down in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from alerting import metrics
from alerting.domain import incident as m
from alerting.domain.vocabulary import AlertState, AssignmentRole, DeclineReason, SceneStatus
from alerting.live.accept import NOT_OPEN, UNKNOWN
from alerting.services import policies
from alerting.services.context import Services
from alerting.services.errors import NotFound, ServiceError
from alerting.services.frames import alert_frame, assigned_frame, error_frame, stand_down_frame, status_frame
from alerting.services.incident_store import load
from alerting.services.incidents import transition
from alerting.services.unit_of_work import UnitOfWork
from alerting.store.models import Alert, Incident, Responder, TimelineEntry
from alerting.timefmt import iso, utc
from geo.distance import haversine_m

Frame = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answer:
    """`direct` frames reach only the caller; `published` ones also went out on the bus to every
    socket of the responder. A socket sends `direct` only (the bus brings the rest); HTTP returns both."""

    direct: list[Frame] = field(default_factory=list)
    published: list[Frame] = field(default_factory=list)

    @property
    def frames(self) -> list[Frame]:
        return self.published + self.direct


def _answer(decisions: list[m.Decision], responder_id: str, address: str | None) -> list[Frame]:
    frames: list[Frame] = []
    for d in decisions:
        if isinstance(d, m.Reject):
            frames.append(error_frame(d.code, d.detail))
        elif isinstance(d, m.SendAssigned) and d.responder_id == responder_id:
            frames.append(assigned_frame(d.alert_id, d.role, address))
        elif isinstance(d, m.SendStandDown) and d.responder_id == responder_id:
            frames.append(stand_down_frame(d.alert_id, d.reason))
    return frames


def _record(session: AsyncSession, incident_id: str, decisions: list[m.Decision], *, now: float) -> None:
    """The timeline entries of decisions made on a fast path, without the incident's transition."""
    for d in decisions:
        if isinstance(d, m.Record):
            session.add(TimelineEntry(incident_id=incident_id, at=utc(now), event=d.event, data=dict(d.data)))


async def _own_alert(session: AsyncSession, trust_id: str, responder_id: str, alert_id: str) -> Alert:
    alert = await session.get(Alert, alert_id)
    if alert is None or alert.trust_id != trust_id or alert.responder_id != responder_id:
        raise NotFound("no such alert")  # another responder's alert is not yours to see either
    return alert


async def _restore_live(uow: UnitOfWork, trust_id: str, incident_id: str) -> None:
    """Redis lost the referee's state: rebuild it from SQL, which records every won accept."""
    loaded = await load(uow.session, incident_id, lock=False)
    if loaded is None:
        raise NotFound("no such alert")  # erased by retention since the alert was read
    s = loaded.state
    winners = [a.responder_id for a in sorted(s.assigned(), key=lambda a: a.accepted_at or 0)]
    await uow.services.referee.restore(
        trust_id,
        incident_id,
        open_=s.status in (m.ALERTING, m.EXHAUSTED) and len(winners) < s.accept_limit,
        limit=s.accept_limit,
        winners=winners,
    )


async def _aeds_carried(session: AsyncSession, trust_id: str, incident_id: str, responder_id: str) -> tuple[bool, bool]:
    """Whether this responder brings their own AED, and whether someone already assigned does: then
    nobody needs to be sent to fetch the public one."""
    mine = (
        select(Responder.carries_aed)
        .where(Responder.trust_id == trust_id, Responder.id == responder_id)
        .scalar_subquery()
    )
    others = (
        select(Alert.id)
        .join(Responder, and_(Responder.trust_id == Alert.trust_id, Responder.id == Alert.responder_id))
        .where(
            Alert.incident_id == incident_id,
            Alert.responder_id != responder_id,
            Alert.state.in_(m.ASSIGNED_STATES),
            Responder.carries_aed.is_(True),
        )
        .exists()
    )
    carries, coming = (await session.execute(select(mine, others))).one()
    return bool(carries), bool(coming)


async def accept(uow: UnitOfWork, *, trust_id: str, responder_id: str, alert_id: str) -> Answer:
    """The reads hold no lock, so the Redis referee is asked with no incident row held; only a
    winner then holds the incident (one connection throughout: accepts come in floods)."""
    services, session = uow.services, uow.session
    alert = await _own_alert(session, trust_id, responder_id, alert_id)
    loaded = await load(session, alert.incident_id, lock=False, only=responder_id)
    if loaded is None:
        raise NotFound("no such alert")  # erased by retention since the alert was read
    early = m.accept_precheck(loaded.state, responder_id)
    if early is not None:
        return Answer(direct=_answer(early, responder_id, loaded.row.address))
    slot = await services.referee.try_accept(trust_id, alert.incident_id, responder_id)
    if slot == UNKNOWN:
        await _restore_live(uow, trust_id, alert.incident_id)
        slot = await services.referee.try_accept(trust_id, alert.incident_id, responder_id)
    metrics.ACCEPTS.labels(outcome="won" if slot > 0 else "refused").inc()
    if slot <= 0:
        refused = m.accept_lost(loaded.state, responder_id, not_open=slot == NOT_OPEN)
        _record(session, alert.incident_id, refused, now=services.clock())
        return Answer(direct=_answer(refused, responder_id, loaded.row.address))
    distance_to_aed = None
    carries = coming = False
    aed = loaded.state.aed
    if aed is not None:
        pos = await services.index.position(trust_id, responder_id)
        if pos is not None:
            distance_to_aed = haversine_m(pos[0], pos[1], aed.lat, aed.lon)
        carries, coming = await _aeds_carried(session, trust_id, alert.incident_id, responder_id)
    event = m.Accepted(responder_id, services.clock(), slot, distance_to_aed, carries_aed=carries, aed_coming=coming)
    _, fx = await transition(uow, incident_id=alert.incident_id, events=[event], fire=False)
    return Answer([error_frame(r.code, r.detail, alert_id=alert_id) for r in fx.rejects], fx.frames_for(responder_id))


async def _simple(uow: UnitOfWork, event_type: type, *, trust_id: str, responder_id: str, alert_id: str) -> Answer:
    alert = await _own_alert(uow.session, trust_id, responder_id, alert_id)
    events = [event_type(responder_id, uow.services.clock())]
    _, fx = await transition(uow, incident_id=alert.incident_id, events=events, fire=False)
    return Answer([error_frame(r.code, r.detail, alert_id=alert_id) for r in fx.rejects], fx.frames_for(responder_id))


async def decline(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, alert_id: str, reason: DeclineReason | None = None
) -> Answer:
    """`reason` is kept on the alert (history, the trust's incident view) and in the timeline."""
    alert = await _own_alert(uow.session, trust_id, responder_id, alert_id)
    event = m.Declined(responder_id, uow.services.clock(), reason)
    _, fx = await transition(uow, incident_id=alert.incident_id, events=[event], fire=False)
    return Answer([error_frame(r.code, r.detail, alert_id=alert_id) for r in fx.rejects], fx.frames_for(responder_id))


async def arrived(uow: UnitOfWork, **kw: str) -> Answer:
    return await _simple(uow, m.Arrived, **kw)


async def report_status(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, alert_id: str, status: SceneStatus
) -> Answer:
    """A status from the scene: answered with a `status` frame saying when it was first recorded
    (a repeat answers the same), or an `error` frame when the responder is not assigned."""
    alert = await _own_alert(uow.session, trust_id, responder_id, alert_id)
    event = m.StatusReported(responder_id, status, uow.services.clock())
    loaded, fx = await transition(uow, incident_id=alert.incident_id, events=[event], fire=False)
    if fx.rejects:
        return Answer([error_frame(r.code, r.detail, alert_id=alert_id) for r in fx.rejects])
    at = loaded.state.alerts[responder_id].statuses[status]
    return Answer([status_frame(alert_id, status, at)], fx.frames_for(responder_id))


@dataclass(frozen=True, slots=True)
class Ack:
    """One app's acknowledgement that an alert reached its screen."""

    trust_id: str
    responder_id: str
    alert_id: str


# Built once: an ack is the most frequent write, and building a statement costs more than running it.
_ALERTS = cast(Table, Alert.__table__)
_KEYS = tuple_(_ALERTS.c.id, _ALERTS.c.trust_id, _ALERTS.c.responder_id).in_(bindparam("keys", expanding=True))
_SET_DELIVERED = (
    update(_ALERTS)
    .where(_KEYS, _ALERTS.c.delivered_at.is_(None))
    .values(delivered_at=bindparam("acked_at"))
    .returning(_ALERTS.c.id, _ALERTS.c.trust_id, _ALERTS.c.responder_id, _ALERTS.c.incident_id)
)
_OWN = select(_ALERTS.c.id, _ALERTS.c.trust_id, _ALERTS.c.responder_id).where(_KEYS)
_TIMELINE = insert(cast(Table, TimelineEntry.__table__))


async def acknowledge(uow: UnitOfWork, *, trust_id: str, responder_id: str, alert_id: str) -> Answer:
    """Sets `delivered_at` once (`acknowledge_many` of one)."""
    (answer,) = await acknowledge_many(uow, acks=[Ack(trust_id, responder_id, alert_id)])
    if isinstance(answer, ServiceError):
        raise answer
    return answer


async def acknowledge_many(uow: UnitOfWork, *, acks: list[Ack]) -> list[Answer | NotFound]:
    """Sets `delivered_at` once per alert, for acks that arrived together; the answer to each, in
    order (NotFound for an alert that is not the responder's). Every alerted app sends one, so this
    neither loads nor locks the incident: one conditional UPDATE sets the column where still empty,
    which tells the domain's `acknowledged` whether an ack is the first (the first of a repeated
    one in the same batch), and incident transactions never write it back empty. Only the acks
    that changed nothing are read again, to tell a repeat from a wrong one."""
    session, now = uow.session, uow.services.clock()
    keys = list(dict.fromkeys((a.alert_id, a.trust_id, a.responder_id) for a in acks))
    rows = (await session.execute(_SET_DELIVERED, {"keys": keys, "acked_at": utc(now)})).all()
    first = {(alert_id, trust_id, responder_id): incident_id for alert_id, trust_id, responder_id, incident_id in rows}
    unchanged = [k for k in keys if k not in first]
    mine = {tuple(row) for row in (await session.execute(_OWN, {"keys": unchanged})).all()} if unchanged else set()
    answers: list[Answer | NotFound] = []
    timeline: list[dict[str, Any]] = []
    told: dict[tuple[str, str], None] = {}  # (trust, incident) whose watchers hear of a delivery
    for ack in acks:
        key = (ack.alert_id, ack.trust_id, ack.responder_id)
        incident_id = first.pop(key, None)
        if incident_id is not None:  # the first ack of this alert
            for d in m.acknowledged(ack.responder_id, first=True):
                if isinstance(d, m.Record):
                    timeline.append(
                        {"incident_id": incident_id, "at": utc(now), "event": d.event, "data": dict(d.data)}
                    )
            told[(ack.trust_id, incident_id)] = None
            mine.add(key)  # the same ack again in this batch is a repeat
            answers.append(Answer())
        elif key in mine:
            answers.append(Answer())  # a repeat: m.acknowledged(first=False) decides nothing
        else:
            answers.append(NotFound("no such alert"))
    if timeline:
        await session.execute(_TIMELINE, timeline)
    if told:
        bus = uow.services.bus

        async def tell() -> None:
            for trust_id, incident_id in told:
                await bus.to_trust(trust_id, {"type": "incident", "incident_id": incident_id})

        uow.after_commit(tell)
    return answers


async def pending(session: AsyncSession, services: Services, *, trust_id: str, responder_id: str) -> list[Frame]:
    """Alerts still open for this responder: re-sent on every (re)connect. An accepted one is
    tracked again from here on (its hint in Redis may have been lost)."""
    now = services.clock()
    rows = (
        await session.execute(
            select(Alert, Incident)
            .join(Incident, Incident.id == Alert.incident_id)
            .where(
                Alert.trust_id == trust_id,
                Alert.responder_id == responder_id,
                Alert.state.in_((m.ALERTED, m.ACCEPTED, m.ARRIVED)),
                Incident.status.in_(m.OPEN_STATUSES),
            )
            .order_by(Alert.alerted_at)
        )
    ).all()
    # Each incident runs under the policy version it arrived with (cached: versions never change).
    policy_of = {
        incident.id: await policies.policy_version(session, trust_id, incident.policy_version)
        if incident.policy_version is not None
        else (await policies.current_policy(session, trust_id))[1]
        for _, incident in rows
    }
    frames = []
    for alert, incident in rows:
        if alert.state == m.ALERTED and alert.expires_at <= utc(now):
            continue
        record = m.AlertRecord(
            alert_id=alert.id,
            responder_id=responder_id,
            phase=alert.phase,
            distance_m=alert.distance_m,
            alerted_at=alert.alerted_at.timestamp(),
            expires_at=alert.expires_at.timestamp(),
            state=AlertState(alert.state),
            role=AssignmentRole(alert.role) if alert.role else None,
            ahead_of_ambulance_s=alert.ahead_of_ambulance_s,
        )
        frame = alert_frame(
            incident_id=incident.id,
            category=incident.category,
            lat=incident.lat,
            lon=incident.lon,
            address=incident.address,
            alert=record,
            aed=m.AedInfo(**incident.aed) if incident.aed else None,
            location_type=incident.location_type,
            policy=policy_of[incident.id],
        )
        if alert.role:
            frame["role"] = alert.role
        if alert.statuses:
            frame["statuses"] = {status: iso(float(at)) for status, at in alert.statuses.items()}
        frames.append(frame)
        if alert.state == m.ACCEPTED:
            # On their way: the tracking hint may have gone with Redis; setting it again keeps the
            # rate of ETA reports (alerting/live/tracking.py).
            await services.tracking.track(trust_id, responder_id, incident.id)
    return frames
