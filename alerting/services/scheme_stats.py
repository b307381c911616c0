"""`GET /v1/trusts/{trust}/stats`: loads a period's incidents and their alerts, and the credentials
running out soon, and hands them to the pure `alerting.domain.scheme_stats`. Read-only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.scheme_stats import AlertRow, IncidentRow, compute, week_of
from alerting.services.credentials import today
from alerting.services.errors import Invalid
from alerting.services.trusts import get_trust
from alerting.store.models import Alert, Group, Incident, Responder, ResponderCredential
from alerting.timefmt import iso

MAX_DAYS = 400
EXPIRY_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Scope:
    start: datetime
    end: datetime
    group: str | None = None
    zone: str | None = None


async def report(session: AsyncSession, *, trust_id: str, scope: Scope, now: float) -> dict[str, Any]:
    if scope.end <= scope.start:
        raise Invalid(
            "the period must end after it starts", extra={"errors": [{"loc": "to", "msg": "must be after from"}]}
        )
    if scope.end - scope.start > timedelta(days=MAX_DAYS):
        raise Invalid(
            f"the period may cover at most {MAX_DAYS} days",
            extra={"errors": [{"loc": "from", "msg": "period too long"}]},
        )
    await get_trust(session, trust_id)
    if scope.group is not None and await session.get(Group, (trust_id, scope.group)) is None:
        raise Invalid(
            f"the trust has no group {scope.group!r}", extra={"errors": [{"loc": "group", "msg": "unknown group"}]}
        )
    where = [Incident.trust_id == trust_id, Incident.created_at >= scope.start, Incident.created_at < scope.end]
    if scope.zone is not None:
        where.append(Incident.zone == scope.zone)
    incidents = [
        IncidentRow(i, created, ambulance)
        for i, created, ambulance in (
            await session.execute(select(Incident.id, Incident.created_at, Incident.ambulance_arrived_at).where(*where))
        ).all()
    ]
    members: dict[str, list[str]] = dict(
        (await session.execute(select(Responder.id, Responder.groups).where(Responder.trust_id == trust_id))).all()
    )

    def counted(responder_id: str) -> bool:
        # An erased responder's alerts stay in the record; with a group asked for, their group is unknown.
        return scope.group is None or scope.group in members.get(responder_id, ())

    ids = [i.id for i in incidents]
    alerts: list[AlertRow] = []
    for chunk in range(0, len(ids), 1000):
        rows = await session.execute(
            select(
                Alert.incident_id,
                Alert.responder_id,
                Alert.state,
                Alert.accepted_at,
                Alert.arrived_at,
                Alert.decline_reason,
            ).where(Alert.trust_id == trust_id, Alert.incident_id.in_(ids[chunk : chunk + 1000]))
        )
        alerts += [AlertRow(inc, state, acc, arr, reason) for inc, rid, state, acc, arr, reason in rows if counted(rid)]

    first_day = today(now)
    last_day = first_day + timedelta(days=EXPIRY_WINDOW_DAYS)
    active = {
        rid
        for rid, status in (
            await session.execute(select(Responder.id, Responder.status).where(Responder.trust_id == trust_id))
        ).all()
        if status == "active" and counted(rid)
    }
    expiring: Counter[str] = Counter()
    by_week: Counter[str] = Counter()
    for rid, kind, expires_on in (
        await session.execute(
            select(ResponderCredential.responder_id, ResponderCredential.kind, ResponderCredential.expires_on).where(
                ResponderCredential.trust_id == trust_id,
                ResponderCredential.responder_id.is_not(None),
                ResponderCredential.expires_on >= first_day,
                ResponderCredential.expires_on <= last_day,
            )
        )
    ).all():
        if rid in active:
            expiring[kind] += 1
            by_week[week_of(expires_on)] += 1
    body = compute(incidents, alerts, expiring=expiring, expiring_by_week=by_week)
    body["credential_expiries"] |= {"from": first_day.isoformat(), "to": last_day.isoformat()}
    return {
        "trust": trust_id,
        "period": {"from": iso(scope.start), "to": iso(scope.end)},
        "group": scope.group,
        "zone": scope.zone,
        **body,
    }
