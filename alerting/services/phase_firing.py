"""Feeds the incident machine the responders it may alert: for each phase now due, and for the
declines and silences it wants replaced. The live index finds who is near; SQL says who is eligible."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting import metrics
from alerting.domain import incident as m
from alerting.domain.eligibility import Candidate, allowed_groups
from alerting.domain.policy import Phase
from alerting.services.candidates import enrich, fetch_limit
from alerting.services.context import Services
from alerting.store.models import Group

log = logging.getLogger(__name__)


async def _private_ok(session: AsyncSession, state: m.IncidentState, trust_id: str) -> dict[str, bool]:
    if state.location_type == "public":  # only private and unknown places depend on the groups' consent
        return {}
    rows = await session.execute(select(Group.id, Group.private_locations).where(Group.trust_id == trust_id))
    return {gid: bool(ok) for gid, ok in rows.all()}


async def _candidates(
    session: AsyncSession,
    services: Services,
    state: m.IncidentState,
    trust_id: str,
    phase: Phase,
    private_ok: dict[str, bool],
    *,
    limit: int | None,
    now: float,
) -> list[Candidate]:
    groups = allowed_groups(phase.groups, state.location_type, private_ok)
    if not groups:
        return []
    hits = await services.index.nearest(
        trust_id,
        state.lat,
        state.lon,
        radius_m=phase.radius_m,
        groups=groups,
        limit=limit,
        exclude=set(state.alerts),
        max_age_s=state.policy.location_max_age_s,
        now=now,
    )
    return await enrich(
        session,
        trust_id=trust_id,
        incident_id=state.id,
        hits=hits,
        now=now,
        count_recent=state.policy.max_alerts_per_hour is not None,
        settings=services.settings,
    )


async def next_phase_candidates(
    session: AsyncSession, services: Services, state: m.IncidentState, trust_id: str, now: float
) -> tuple[list[Candidate], dict[str, bool]]:
    """Who the next phase would alert now, for a dispatcher who fires it ahead of its delay."""
    phase = state.next_phase()
    private_ok = await _private_ok(session, state, trust_id)
    if phase is None:
        return [], private_ok
    found = await _candidates(
        session, services, state, trust_id, phase, private_ok, limit=fetch_limit(phase.max_alerts), now=now
    )
    return found, private_ok


async def groups_private_ok(session: AsyncSession, state: m.IncidentState, trust_id: str) -> dict[str, bool]:
    """Group id -> whether it may be sent into private places (empty for a public place)."""
    return await _private_ok(session, state, trust_id)


async def fire_due(
    session: AsyncSession,
    services: Services,
    state: m.IncidentState,
    trust_id: str,
    now: float,
    *,
    phases: bool = True,
) -> list[m.Decision]:
    """Fire every phase whose delay has passed, in order (with `phases`), then seek replacements
    for declines and silences. Either twice is a no-op in the domain; nothing due costs no query."""
    due = state.due_phases(now) if phases else []
    if due and not await services.generation.ready(now):
        # Redis lost the positions and the API processes are writing them back: firing now would
        # find nobody. The sweep (and the timer) come back shortly; the wait is bounded.
        state.hold_phases(now + services.generation.heartbeat_s)
        log.warning("phase held: the live index is being rebuilt", extra={"incident_id": state.id})
        return []
    out: list[m.Decision] = []
    private_ok: dict[str, bool] | None = None
    for index in due:
        phase = state.phases[index]
        if state.started_at is not None:  # always, once a phase is due
            metrics.PHASE_LAG.observe(max(0.0, now - (state.started_at + phase.delay_s)))
        private_ok = private_ok if private_ok is not None else await _private_ok(session, state, trust_id)
        found = await _candidates(
            session, services, state, trust_id, phase, private_ok, limit=fetch_limit(phase.max_alerts), now=now
        )
        out += m.handle(state, m.PhaseDue(index, now, found, private_ok))
    waiting = state.to_replace(now)
    if waiting:
        phase = state.phases[state.phases_fired - 1]
        private_ok = private_ok if private_ok is not None else await _private_ok(session, state, trust_id)
        found = await _candidates(
            session, services, state, trust_id, phase, private_ok, limit=fetch_limit(len(waiting)), now=now
        )
        out += m.handle(state, m.ReplacementDue(now, found, private_ok))
    return out
