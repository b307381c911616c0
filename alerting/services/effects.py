"""Carries out the domain's decisions: rows inside the transaction, frames after the commit.

Alerts are recorded before they are published, so a crash between the two loses no alert: the
responder gets it in `ready.pending` on reconnect, or by push when unacknowledged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting import metrics
from alerting.domain import incident as m
from alerting.domain.incident_dispatch import thread_message
from alerting.domain.incident_tracking import is_tracked
from alerting.domain.vocabulary import CadEvent, TimelineEvent
from alerting.services import alerter_frames, check_in_plan
from alerting.services.context import Services
from alerting.services.frames import alert_frame, assigned_frame, declined_frame, message_frame, stand_down_frame
from alerting.store.models import Incident, TimelineEntry, WebhookDelivery
from alerting.timefmt import iso, utc

log = logging.getLogger(__name__)


@dataclass
class Effects:
    trust_id: str
    incident_id: str
    frames: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (responder id, frame)
    rejects: list[m.Reject] = field(default_factory=list)
    webhooks: bool = False
    close_live: bool = False
    wake_at: float | None = None
    changed: bool = False
    push_check_at: float | None = None  # when to push alerts still unacknowledged
    started_at: float | None = None  # when alerting began: the origin of the alert latency
    open_limit: int | None = None  # alerting started here (a not-alerted incident now alerts): open the referee
    track: list[str] = field(default_factory=list)  # responders now on their way (alerting/live/tracking.py)
    untrack: list[str] = field(default_factory=list)  # responders no longer on their way: arrived, stood down
    check_in_at: float | None = None  # the soonest check-in of a responder who accepted here (check_ins.py)
    alerter_id: str | None = None  # the incident was raised by this alerter: they hear its changes and thread
    alerter_frames: list[dict[str, Any]] = field(default_factory=list)

    def frames_for(self, responder_id: str) -> list[dict[str, Any]]:
        return [f for rid, f in self.frames if rid == responder_id]


async def record(
    session: AsyncSession,
    row: Incident,
    state: m.IncidentState,
    decisions: list[m.Decision],
    *,
    now: float,
    actor: str | None = None,
    timeline_into: list[dict[str, Any]] | None = None,
) -> Effects:
    """With `timeline_into`, the timeline's rows are put there for the caller's own INSERT (a new
    incident's, `incident_store.insert_new`) rather than written here."""
    fx = Effects(trust_id=row.trust_id, incident_id=row.id, alerter_id=row.alerter_id)
    seq: int | None = None
    # One INSERT for the timeline at the end, in order, rather than an ORM object per entry (an
    # incident's first transaction writes half a dozen); what the session holds is flushed first.
    timeline: list[dict[str, Any]] = []
    for d in decisions:
        if fx.alerter_id is not None and (said := thread_message(d)) is not None:
            fx.alerter_frames.append(alerter_frames.message_frame(row.id, said[0], said[1], now))
        if isinstance(d, m.Record):
            timeline.append({"incident_id": row.id, "at": utc(now), "event": d.event, "data": dict(d.data)})
            fx.changed = True
            if d.event == TimelineEvent.RESPONDER_ACCEPTED:
                due = await check_in_plan.plan(
                    session, state, trust_id=row.trust_id, responder_id=str(d.data["responder"]), now=now
                )
                fx.check_in_at = due if fx.check_in_at is None else min(fx.check_in_at, due)
        elif isinstance(d, m.NotifyCad):
            timeline.append(
                {
                    "incident_id": row.id,
                    "at": utc(now),
                    "event": f"cad.{d.event}",
                    "data": ({"responder": d.responder_id} if d.responder_id else {}) | dict(d.data),
                }
            )
            if row.callback_url:
                if seq is None:
                    seq = (
                        await session.execute(
                            select(func.coalesce(func.max(WebhookDelivery.seq), 0)).where(
                                WebhookDelivery.incident_id == row.id
                            )
                        )
                    ).scalar_one()
                seq += 1
                session.add(_delivery(row, state, d, seq, now))
                fx.webhooks = True
        elif isinstance(d, m.SendAlert):
            fx.frames.append(
                (
                    d.alert.responder_id,
                    alert_frame(
                        incident_id=row.id,
                        category=state.category,
                        lat=state.lat,
                        lon=state.lon,
                        address=row.address,
                        alert=d.alert,
                        aed=state.aed,
                        location_type=state.location_type,
                        policy=state.policy,
                    ),
                )
            )
            fx.push_check_at = now + state.policy.ack_timeout_s
        elif isinstance(d, m.SendAssigned):
            fx.frames.append((d.responder_id, assigned_frame(d.alert_id, d.role, row.address)))
        elif isinstance(d, m.SendStandDown):
            fx.frames.append((d.responder_id, stand_down_frame(d.alert_id, d.reason)))
        elif isinstance(d, m.SendDeclined):
            fx.frames.append((d.responder_id, declined_frame(d.alert_id, d.reason)))
        elif isinstance(d, m.SendMessage):
            fx.frames.append((d.responder_id, message_frame(d.alert_id, d.text, d.at, d.sender)))
        elif isinstance(d, m.Reject):
            fx.rejects.append(d)
    if timeline_into is not None:
        timeline_into += timeline
    elif timeline:
        await session.execute(insert(TimelineEntry), timeline)
    fx.close_live = state.status != m.ALERTING
    # Tracking follows the state after every decision (an accept and an arrival in one transition
    # leave no hint): on the way after an assignment, no longer after an arrival or a stand-down.
    for rid in dict.fromkeys(_moved_on(decisions)):
        (fx.track if is_tracked(state, rid) else fx.untrack).append(rid)
    started = any(
        isinstance(d, m.Record)
        and d.event in (TimelineEvent.ALERTING_STARTED, TimelineEvent.ALERTING_RESUMED, TimelineEvent.CONFIRMED)
        for d in decisions
    )
    if started and state.status == m.ALERTING:
        fx.open_limit = state.accept_limit
    fx.wake_at = state.wake_at()
    fx.started_at = state.started_at
    return fx


def _moved_on(decisions: list[m.Decision]) -> list[str]:
    """Responders whose journey may have begun or ended with these decisions."""
    out: list[str] = []
    for d in decisions:
        if isinstance(d, m.SendAssigned | m.SendStandDown):
            out.append(d.responder_id)
        elif isinstance(d, m.Record) and d.event == TimelineEvent.RESPONDER_ARRIVED:
            out.append(str(d.data["responder"]))
    return out


def _delivery(row: Incident, state: m.IncidentState, d: m.NotifyCad, seq: int, now: float) -> WebhookDelivery:
    delivery_id = uuid.uuid4().hex
    body: dict[str, Any] = {"event": d.event, "incident_id": row.id, "cad_ref": row.cad_ref, "at": iso(now)}
    if d.event == CadEvent.INCIDENT_NOT_ALERTED:
        body |= {"reason": state.reason, "reason_code": state.reason_code}
    body |= dict(d.data)
    if d.responder_id:
        alert = state.alerts[d.responder_id]
        body["responder"] = {
            "id": d.responder_id,
            "state": alert.state,
            "role": alert.role,
            "distance_m": alert.distance_m,
        }
    return WebhookDelivery(
        id=delivery_id,
        incident_id=row.id,
        seq=seq,
        event=d.event,
        body=json.dumps(body, separators=(",", ":")),
        status="pending",
        attempts=0,
        created_at=utc(now),
        next_attempt_at=utc(now),
    )


async def publish(services: Services, fx: Effects, *, open_limit: int | None = None) -> None:
    """After commit: the live state and frames in one Redis round trip, then timers and webhooks.

    `open_limit` opens the accept referee first (a new incident). The commit already happened, so a
    failure here must not turn into an error for the caller (who would retry something that
    succeeded). Each step fails alone, loudly, and is recovered by design: frames by `ready.pending`
    on reconnect and push, timers by the sweep, the referee from SQL.
    """
    live = services.redis.pipeline(transaction=False)
    open_limit = open_limit if open_limit is not None else fx.open_limit
    if open_limit is not None:
        services.referee.open_in(live, fx.trust_id, fx.incident_id, open_limit)
    first_frame = len(live)
    for responder_id, frame in fx.frames:
        services.bus.to_responder_in(live, fx.trust_id, responder_id, frame)
    if fx.close_live:
        services.referee.close_in(live, fx.trust_id, fx.incident_id)
    for responder_id in fx.track:
        await services.tracking.track_in(live, fx.trust_id, responder_id, fx.incident_id)
    for responder_id in fx.untrack:
        await services.tracking.untrack_in(live, fx.trust_id, responder_id, fx.incident_id)
    if fx.changed or fx.frames:
        services.bus.to_trust_in(live, fx.trust_id, {"type": "incident", "incident_id": fx.incident_id})
    if fx.alerter_id is not None:
        for frame in fx.alerter_frames:  # the thread's messages, then what help is coming now
            services.bus.to_alerter_in(live, fx.trust_id, fx.alerter_id, frame)
        if fx.changed or fx.frames:
            services.bus.help_changed_in(live, fx.trust_id, fx.alerter_id, fx.incident_id)
    results: list[Any] = [None] * len(live)
    if len(live):
        try:
            results = await live.execute(raise_on_error=False)
        except Exception as exc:  # noqa: BLE001 - logged with the incident; recovered by design (above)
            _failed("live state and frames", fx, exc)
    for result in results:
        if isinstance(result, Exception):
            _failed("redis command", fx, result)
    no_socket = []
    frame_results = results[first_frame : first_frame + len(fx.frames)]  # the referee's and trust's commands follow
    for (responder_id, frame), listeners in zip(fx.frames, frame_results, strict=True):
        if frame.get("type") != "alert" or isinstance(listeners, Exception):
            continue
        if listeners == 0:
            no_socket.append(responder_id)  # nobody holds a socket here: push at once
        if listeners is not None:
            metrics.ALERTS_SENT.inc()
            if fx.started_at is not None:
                metrics.ALERT_LATENCY.observe(max(0.0, services.clock() - fx.started_at))
    tasks = services.tasks
    # Timers and push checks only join the task queue's next batch: cheap, so on the loop.
    queued: list[tuple[str, Callable[[], None]]] = []
    if no_socket:
        now = services.clock()
        queued.append(("push", lambda: tasks.push_unacknowledged(fx.incident_id, at=now, now=now, no_socket=no_socket)))
    if (push_check_at := fx.push_check_at) is not None:
        queued.append(
            (
                "push check",
                lambda: tasks.push_unacknowledged(fx.incident_id, at=push_check_at, now=services.clock(), no_socket=[]),
            )
        )
    if (wake_at := fx.wake_at) is not None:
        queued.append(("timer", lambda: tasks.wake(fx.incident_id, at=wake_at, now=services.clock())))
    _run_jobs(fx, queued)
    sent: list[tuple[str, Callable[[], None]]] = []
    if fx.webhooks:
        sent.append(("webhook trigger", lambda: tasks.deliver_webhooks(fx.incident_id)))
    if (check_in_at := fx.check_in_at) is not None:
        sent.append(("check-in timer", lambda: tasks.check_ins(at=check_in_at, now=services.clock())))
    if sent:
        # Sending a Celery task is blocking I/O: off the event loop, so frames for other
        # incidents and sockets keep moving meanwhile.
        await asyncio.to_thread(_run_jobs, fx, sent)


def _run_jobs(fx: Effects, jobs: list[tuple[str, Callable[[], None]]]) -> None:
    for name, job in jobs:
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - logged with the incident; recovered by design (see publish)
            _failed(name, fx, exc)


def _failed(step: str, fx: Effects, exc: BaseException) -> None:
    log.error(
        "post-commit %s failed; recovered by reconnect, push or sweep",
        step,
        exc_info=exc,
        extra={"incident_id": fx.incident_id},
    )
