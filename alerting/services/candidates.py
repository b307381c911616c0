"""Turns the live index's nearest responders into domain candidates, with what SQL knows of them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting import metrics
from alerting.domain.duty_hours import on_duty_at
from alerting.domain.eligibility import Candidate
from alerting.domain.incident import ASSIGNED_STATES, OPEN_STATUSES
from alerting.services import credentials, travel
from alerting.settings import Settings
from alerting.store.models import Alert, Incident, RegistrationSettings, Responder
from alerting.timefmt import utc
from geo.distance import eta_s
from geo.index import Hit

log = logging.getLogger(__name__)
OVERFETCH = 2  # ask the index for more than the phase's cap: some nearest may be busy or tired


def in_quiet_hours(spec: dict[str, Any] | None, now: float) -> bool:
    """`{"start": "23:00", "end": "07:00", "tz": "Europe/London"}`; a window may wrap midnight."""
    if not spec:
        return False
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(spec.get("tz", "Europe/London"))).time()
    start, end = time.fromisoformat(spec["start"]), time.fromisoformat(spec["end"])
    return start <= local < end if start <= end else local >= start or local < end


# Built once, with the values bound at each call: building these costs more CPU than running them.
# Busy (assigned to another open incident) comes with the responder row: one round trip, not two.
_BUSY_ELSEWHERE = (
    select(Alert.id)
    .join(Incident, Incident.id == Alert.incident_id)
    .where(
        Alert.trust_id == Responder.trust_id,
        Alert.responder_id == Responder.id,
        Alert.state.in_(ASSIGNED_STATES),
        Incident.status.in_(OPEN_STATUSES),
        Incident.id != bindparam("incident_id"),
    )
    .exists()
)
# The trust's required credential kinds ride along too: a trust that requires none pays nothing more.
_REQUIRED_KINDS = (
    select(RegistrationSettings.required_credentials)
    .where(RegistrationSettings.trust_id == bindparam("trust_id"))
    .scalar_subquery()
)
# The columns the rules read, not whole rows: no ORM objects to build for each candidate.
_RESPONDERS = select(
    Responder.id,
    Responder.groups,
    Responder.status,
    Responder.quiet_hours,
    Responder.on_duty_hours,
    Responder.travel_mode,
    _BUSY_ELSEWHERE.label("busy"),
    _REQUIRED_KINDS.label("required"),
).where(Responder.trust_id == bindparam("trust_id"), Responder.id.in_(bindparam("ids", expanding=True)))
_RECENT = (
    select(Alert.responder_id, func.count())
    .where(
        Alert.trust_id == bindparam("trust_id"),
        Alert.responder_id.in_(bindparam("ids", expanding=True)),
        Alert.alerted_at > bindparam("since"),
    )
    .group_by(Alert.responder_id)
)


async def enrich(
    session: AsyncSession,
    *,
    trust_id: str,
    incident_id: str,
    hits: Sequence[Hit],
    now: float,
    count_recent: bool,
    settings: Settings | None = None,
) -> list[Candidate]:
    """With `settings`, each candidate carries an ETA from their travel mode (the ambulance rule)."""
    if not hits:
        return []
    ids = [h.responder_id for h in hits]
    responders: dict[str, Any] = {}
    busy: set[str] = set()
    required: list[str] = []
    for row in (
        await session.execute(_RESPONDERS, {"trust_id": trust_id, "ids": ids, "incident_id": incident_id})
    ).all():
        responders[row.id] = row
        required = row.required or []
        if row.busy:
            busy.add(row.id)
    lacking = await credentials.lacking(
        session, trust_id=trust_id, responder_ids=list(responders), required=required, now=now
    )
    recent: dict[str, int] = {}
    if count_recent:
        since = utc(now - 3600)
        recent = dict((await session.execute(_RECENT, {"trust_id": trust_id, "ids": ids, "since": since})).all())
    out: list[Candidate] = []
    for h in hits:
        r = responders.get(h.responder_id)
        if r is None:
            continue  # erased since the index saw them
        # One record that cannot be evaluated (saved before its fields were checked, or edited in
        # the database) passes that responder over with a reason; it never stops the others' alerts.
        field = "quiet_hours"
        try:
            quiet = in_quiet_hours(r.quiet_hours, now)
            field = "on_duty_hours"
            scheduled = on_duty_at(r.on_duty_hours, now)
        except (ZoneInfoNotFoundError, ValueError, KeyError, TypeError, AttributeError) as exc:
            metrics.CANDIDATES_SKIPPED.labels(reason=field).inc()
            log.warning(
                "responder record cannot be evaluated; passed over",
                extra={"trust_id": trust_id, "responder_id": r.id, "field": field, "error": repr(exc)},
            )
            out.append(Candidate(responder_id=h.responder_id, distance_m=h.distance_m, groups=(), unreadable=True))
            continue
        out.append(
            Candidate(
                responder_id=h.responder_id,
                distance_m=h.distance_m,
                groups=tuple(r.groups),
                active=r.status == "active",
                busy=h.responder_id in busy,
                alerts_last_hour=recent.get(h.responder_id, 0),
                quiet=quiet,
                off_schedule=not scheduled,
                credentials_ok=h.responder_id not in lacking,
                eta_s=None
                if settings is None
                else eta_s(
                    h.distance_m,
                    walking_speed_mps=travel.speed_mps(settings, r.travel_mode),
                    route_factor=settings.route_factor,
                ),
            )
        )
    return out


def fetch_limit(cap: int | None) -> int | None:
    """None (no cap) asks the index for everyone in the radius."""
    return None if cap is None else cap * OVERFETCH + 10
