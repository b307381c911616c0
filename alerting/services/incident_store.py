"""Loads an incident's state for the domain and writes back what the domain changed."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, cast

from sqlalchemy import Table, TextClause, insert, inspect, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.alerters import phases_for
from alerting.domain.incident import AedInfo, AlertRecord, IncidentState
from alerting.domain.report import LocationType
from alerting.domain.vocabulary import AlertState, AssignmentRole, IncidentSource, IncidentStatus, NotAlertedReason
from alerting.services import policies
from alerting.store.models import Alert, Incident, TimelineEntry
from alerting.store.types import from_ts, to_ts


class Loaded:
    """The domain state with the ORM rows behind it, so saving touches only what changed."""

    def __init__(self, state: IncidentState, row: Incident, alert_rows: dict[str, Alert]):
        self.state = state
        self.row = row
        self.alert_rows = alert_rows


def _record(a: Alert) -> AlertRecord:
    return AlertRecord(
        alert_id=a.id,
        responder_id=a.responder_id,
        phase=a.phase,
        distance_m=a.distance_m,
        alerted_at=to_ts(a.alerted_at),
        expires_at=to_ts(a.expires_at),
        state=AlertState(a.state),
        delivered_at=to_ts(a.delivered_at),
        accepted_at=to_ts(a.accepted_at),
        arrived_at=to_ts(a.arrived_at),
        ended_at=to_ts(a.ended_at),
        role=AssignmentRole(a.role) if a.role else None,
        ahead_of_ambulance_s=a.ahead_of_ambulance_s,
        replaced=bool(a.replaced),
        statuses={str(k): float(v) for k, v in (a.statuses or {}).items()},
        decline_reason=a.decline_reason,
    )


async def load(session: AsyncSession, incident_id: str, *, lock: bool, only: str | None = None) -> Loaded | None:
    """With lock=True the incident row is held FOR UPDATE: state changes of one incident are serial.
    `only` loads one responder's alert: a read-only view for prechecks that must stay cheap when a
    thousand responders answer the same incident at once."""
    query = select(Incident).where(Incident.id == incident_id)
    alerts = select(Alert).where(Alert.incident_id == incident_id)
    if lock:  # rows this session read before the lock are refreshed, not trusted
        query = query.with_for_update().execution_options(populate_existing=True)
        alerts = alerts.execution_options(populate_existing=True)
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        return None
    if only is not None:
        alerts = alerts.where(Alert.responder_id == only)
    alert_rows = {a.responder_id: a for a in (await session.execute(alerts)).scalars()}
    if row.policy_version is not None:
        policy = await policies.policy_version(session, row.trust_id, row.policy_version)
    else:
        policy = (await policies.current_policy(session, row.trust_id))[1]
    source = IncidentSource(row.source or IncidentSource.CAD)
    if source == IncidentSource.ALERTER:  # its one phase is the alerter section of its policy version
        phases = phases_for(policy.alerter, policy.phases)
    else:
        zone = next((z for z in policy.zones if z.name == row.zone), None)
        phases = zone.phases if zone else policy.phases
    state = IncidentState(
        id=row.id,
        cad_ref=row.cad_ref,
        lat=row.lat,
        lon=row.lon,
        category=row.category,
        location_type=cast(LocationType, row.location_type),  # the column holds only what intake validated
        created_at=to_ts(row.created_at),
        policy=policy,
        policy_version=row.policy_version,
        status=IncidentStatus(row.status),
        phases=phases,
        accept_limit=row.accept_limit,
        zone=row.zone,
        started_at=to_ts(row.started_at),
        phases_fired=row.phases_fired,
        alerts={rid: _record(a) for rid, a in alert_rows.items()},
        aed=AedInfo(**row.aed) if row.aed else None,
        flags=tuple(row.flags or ()),
        ambulance_due_at=to_ts(row.ambulance_due_at),
        reason=row.reason,
        reason_code=NotAlertedReason(row.reason_code) if row.reason_code else None,
        source=source,
        alerter_id=row.alerter_id,
    )
    return Loaded(state, row, alert_rows)


def new_row(
    state: IncidentState, *, trust_id: str, address: str | None, notes: str | None, callback_url: str | None, now: float
) -> Incident:
    return Incident(
        id=state.id,
        trust_id=trust_id,
        cad_ref=state.cad_ref,
        lat=state.lat,
        lon=state.lon,
        category=state.category,
        location_type=state.location_type,
        address=address,
        notes=notes,
        callback_url=callback_url,
        status=state.status,
        policy_version=state.policy_version,
        zone=state.zone,
        accept_limit=state.accept_limit,
        phases_fired=state.phases_fired,
        started_at=from_ts(state.started_at),
        aed=_aed(state),
        wake_at=from_ts(state.wake_at()),
        created_at=from_ts(state.created_at),
        updated_at=from_ts(now),
        flags=list(state.flags),
        ambulance_due_at=from_ts(state.ambulance_due_at),
        reason=state.reason,
        reason_code=state.reason_code,
        source=state.source,
        alerter_id=state.alerter_id,
    )


def _aed(state: IncidentState) -> dict[str, Any] | None:
    return asdict(state.aed) if state.aed else None


_INCIDENT_COLUMNS = [attr.key for attr in inspect(Incident).column_attrs]  # named as their columns
# Core INSERTs on the tables, built once: not even the ORM's bulk path, whose bookkeeping costs more
# than the statements for rows nothing else in the transaction touches (SQLite, for development).
_INSERT_INCIDENT = insert(cast(Table, Incident.__table__))
_INSERT_ALERTS = insert(cast(Table, Alert.__table__))
_INSERT_TIMELINE = insert(cast(Table, TimelineEntry.__table__))


def _pg_type(column: Any) -> str:
    return str(column.type.compile(dialect=postgresql.dialect()))


def _value(name: str, column: Any, *, array: bool = False) -> str:
    """A parameter cast to its column's type, JSON sent as text: the driver is handed plain values."""
    kind = _pg_type(column)
    if kind == "JSON":
        return f"CAST(:{name} AS TEXT[])" if array else f"CAST(:{name} AS TEXT)::JSON"
    return f"CAST(:{name} AS {kind}[])" if array else f"CAST(:{name} AS {kind})"


_ALERT_OWN = [c for c in cast(Table, Alert.__table__).columns if c.key not in ("incident_id", "trust_id")]
_TIMELINE_OWN = [c for c in cast(Table, TimelineEntry.__table__).columns if c.key in ("at", "event", "data")]


def _new_incident_statement() -> TextClause:
    """On PostgreSQL, one statement for a new incident, its first alerts and its timeline: each
    table's rows arrive as arrays (`unnest`), so the text is the same whatever the number of rows,
    prepared once per connection. The incident is written only while `policy_version` is still the
    trust's newest (or `unguarded`), and the alerts and timeline only with it; the answer is the
    number of incidents written (0 or 1). A repeated cad_ref fails the whole statement."""
    incident = cast(Table, Incident.__table__)
    alert_cols = ", ".join(c.name for c in _ALERT_OWN)
    alert_values = ", ".join(f"a.{c.name}::JSON" if _pg_type(c) == "JSON" else f"a.{c.name}" for c in _ALERT_OWN)
    return text(
        f"WITH incident AS (INSERT INTO incidents ({', '.join(c.name for c in incident.columns)}) "
        f"SELECT {', '.join(_value(c.key, c) for c in incident.columns)} "
        "WHERE CAST(:unguarded AS BOOLEAN) OR CAST(:policy_version AS INTEGER) IS NOT DISTINCT FROM "
        "(SELECT max(version) FROM policy_versions WHERE trust_id = CAST(:trust_id AS VARCHAR)) RETURNING id), "
        f"alerted AS (INSERT INTO alerts (incident_id, trust_id, {alert_cols}) "
        f"SELECT incident.id, CAST(:trust_id AS VARCHAR), {alert_values} FROM incident, "
        f"unnest({', '.join(_value('alert_' + c.key, c, array=True) for c in _ALERT_OWN)}) AS a({alert_cols})), "
        "recorded AS (INSERT INTO timeline (incident_id, at, event, data) "
        "SELECT incident.id, t.at, t.event, t.data::JSON FROM incident, "
        f"unnest({', '.join(_value('timeline_' + c.key, c, array=True) for c in _TIMELINE_OWN)}) "
        "WITH ORDINALITY AS t(at, event, data, n) ORDER BY t.n) "
        "SELECT count(*) FROM incident"
    )


_NEW_INCIDENT = _new_incident_statement()
_JSON_COLUMNS = {c.key for c in cast(Table, Incident.__table__).columns if _pg_type(c) == "JSON"}
_DEFAULTS = {
    c.key: cast(Any, c.default).arg
    for c in cast(Table, Incident.__table__).columns
    if c.default is not None and getattr(c.default, "is_scalar", False)
}


def on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _alert_rows(state: IncidentState, trust_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": a.alert_id,
            "incident_id": state.id,
            "trust_id": trust_id,
            "responder_id": rid,
            "phase": a.phase,
            "state": a.state,
            "role": a.role,
            "distance_m": a.distance_m,
            "alerted_at": from_ts(a.alerted_at),
            "expires_at": from_ts(a.expires_at),
            "delivered_at": from_ts(a.delivered_at),
            "accepted_at": from_ts(a.accepted_at),
            "arrived_at": from_ts(a.arrived_at),
            "ended_at": from_ts(a.ended_at),
            "ahead_of_ambulance_s": a.ahead_of_ambulance_s,
            "replaced": a.replaced,
            "statuses": dict(a.statuses) or None,
            "decline_reason": a.decline_reason,
        }
        for rid, a in ((rid, state.alerts[rid]) for rid in sorted(state.changed))
    ]


async def insert_new(
    session: AsyncSession,
    row: Incident,
    state: IncidentState,
    *,
    trust_id: str,
    timeline: list[dict[str, Any]],
    guard_policy: bool = False,
) -> bool:
    """A new incident (`row`, made by `new_row` and never added to the session), the alerts its
    first phase made and its `timeline` (from `effects.record(..., timeline_into=)`): nothing else
    in the transaction changes them, so the session's bookkeeping of ORM objects would be work for
    nothing. On PostgreSQL that is one statement; elsewhere one INSERT a table. A repeated cad_ref
    fails (IntegrityError) before any alert is written. What the session holds (a webhook delivery
    of the incident) is flushed at the commit, after the incident exists.

    With `guard_policy` (PostgreSQL only), nothing is written and False is answered when the
    incident's policy version is no longer the trust's newest: the version was remembered
    (services/policy_cache.py) and a change has been committed since."""
    given = row.__dict__
    alerts = _alert_rows(state, trust_id)
    with session.no_autoflush:
        if on_postgresql(session):
            values = {k: given.get(k, _DEFAULTS.get(k)) for k in _INCIDENT_COLUMNS}
            for k in _JSON_COLUMNS:
                values[k] = _json(values[k])
            values["unguarded"] = not guard_policy
            for c in _ALERT_OWN:
                values["alert_" + c.key] = [a[c.key] for a in alerts]
            values["alert_statuses"] = [_json(a["statuses"]) for a in alerts]
            values["timeline_at"] = [t["at"] for t in timeline]
            values["timeline_event"] = [t["event"] for t in timeline]
            values["timeline_data"] = [_json(t["data"]) for t in timeline]
            if not (await session.execute(_NEW_INCIDENT, values)).scalar_one():
                return False
        else:
            assert not guard_policy, "the policy guard is PostgreSQL's"
            await session.execute(_INSERT_INCIDENT, [{k: given[k] for k in _INCIDENT_COLUMNS if k in given}])
            if alerts:
                await session.execute(_INSERT_ALERTS, alerts)
            if timeline:
                await session.execute(_INSERT_TIMELINE, timeline)
    state.changed.clear()
    return True


def save(session: AsyncSession, loaded: Loaded, *, trust_id: str, now: float) -> None:
    s, row = loaded.state, loaded.row
    row.lat, row.lon, row.category, row.status = s.lat, s.lon, s.category, s.status
    row.cad_ref = s.cad_ref  # a raised incident takes the CAD's reference when adopted
    row.zone, row.accept_limit, row.phases_fired = s.zone, s.accept_limit, s.phases_fired
    row.started_at, row.aed, row.wake_at, row.updated_at = (
        from_ts(s.started_at),
        _aed(s),
        from_ts(s.wake_at()),
        from_ts(now),
    )
    row.flags, row.ambulance_due_at = list(s.flags), from_ts(s.ambulance_due_at)
    row.reason, row.reason_code = s.reason, s.reason_code
    for rid in sorted(s.changed):
        a = s.alerts[rid]
        alert_row = loaded.alert_rows.get(rid)
        if alert_row is None:
            alert_row = Alert(id=a.alert_id, incident_id=s.id, trust_id=trust_id, responder_id=rid)
            loaded.alert_rows[rid] = alert_row
            session.add(alert_row)
        alert_row.phase, alert_row.state, alert_row.role, alert_row.distance_m = a.phase, a.state, a.role, a.distance_m
        alert_row.alerted_at, alert_row.expires_at = from_ts(a.alerted_at), from_ts(a.expires_at)
        if a.delivered_at is not None:  # acks set it outside incident transactions; never write it back empty
            alert_row.delivered_at = from_ts(a.delivered_at)
        alert_row.accepted_at = from_ts(a.accepted_at)
        alert_row.arrived_at, alert_row.ended_at = from_ts(a.arrived_at), from_ts(a.ended_at)
        alert_row.ahead_of_ambulance_s, alert_row.replaced = a.ahead_of_ambulance_s, a.replaced
        alert_row.statuses = dict(a.statuses) or None
        alert_row.decline_reason = a.decline_reason
    s.changed.clear()
