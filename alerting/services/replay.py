"""What-if replay as a service: loads a period's incidents, the density history and the trust's
acceptance record, runs the pure engine for the current and the draft policy, and compares them.
Read-only: a replay changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.policy import Policy, PolicyError, build_policy
from alerting.domain.vocabulary import IncidentSource
from alerting.replay import (
    PRIOR_ALPHA,
    PRIOR_BETA,
    DensityHistory,
    Model,
    Outcome,
    Rate,
    ReplayIncident,
    learn,
    replay,
    summarise,
)
from alerting.replay.summary import arrivals, by_phase
from alerting.services import credentials, policies
from alerting.services.context import Services
from alerting.services.errors import Invalid
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import reading
from alerting.store.models import (
    Alert,
    DensityCount,
    DensitySlot,
    Group,
    Incident,
    Responder,
)
from alerting.timefmt import iso
from geo.hexgrid import RESOLUTION

REFUSED = ("declined", "expired")
HISTOGRAM_BIN_S = 60
NO_HISTORY = (
    "no responder density history yet: the worker records it every few minutes, so every estimate is zero until it has"
)


def no_density_near(count: int) -> str:
    return (
        f"the density history saw no available responder near {count} of these incidents at their hour of the week, "
        "so the estimates for them are zero: the worker counts responders only every few minutes, and a short "
        "history misses people who were available only briefly"
    )


@dataclass(frozen=True)
class Comparison:
    """The API body (`report`) plus the per-incident arrivals the CLI plots."""

    report: dict[str, Any]
    current: list[Outcome]
    draft: list[Outcome]


def policy_groups(policy: Policy) -> set[str]:
    phases = list(policy.phases) + [p for z in policy.zones for p in z.phases]
    return {g for p in phases for g in p.groups}


async def _acceptance(session: AsyncSession, trust_id: str, groups: list[str]) -> dict[str, Rate]:
    accepted = func.sum(case((Alert.accepted_at.is_not(None), 1), else_=0))
    refused = func.sum(case(((Alert.accepted_at.is_(None)) & Alert.state.in_(REFUSED), 1), else_=0))
    tallies = (
        await session.execute(
            select(Alert.responder_id, accepted, refused).where(Alert.trust_id == trust_id).group_by(Alert.responder_id)
        )
    ).all()
    member_of: dict[str, list[str]] = dict(
        (await session.execute(select(Responder.id, Responder.groups).where(Responder.trust_id == trust_id))).all()
    )
    # An erased responder's answers go with them: their groups are no longer known.
    return learn(((member_of[rid], int(a or 0), int(r or 0)) for rid, a, r in tallies if rid in member_of), groups)


async def _actual(session: AsyncSession, incident_ids: list[str]) -> dict[str, int]:
    """What really happened to the period's incidents, under the policies then in force: the replay's
    model is judged against it."""
    if not incident_ids:
        return {"incidents": 0, "with_alert": 0, "with_accept": 0, "alerts": 0, "accepts": 0}
    rows = (
        await session.execute(
            select(Alert.incident_id, func.count(), func.count(Alert.accepted_at))
            .where(Alert.incident_id.in_(incident_ids))
            .group_by(Alert.incident_id)
        )
    ).all()
    return {
        "incidents": len(incident_ids),
        "with_alert": sum(1 for _, n, _ in rows if n),
        "with_accept": sum(1 for _, _, a in rows if a),
        "alerts": sum(int(n) for _, n, _ in rows),
        "accepts": sum(int(a) for _, _, a in rows),
    }


async def density_history(session: AsyncSession, trust_id: str) -> tuple[DensityHistory, int]:
    """The trust's density history, and how many snapshots it holds."""
    return await _history(session, trust_id)


async def _history(session: AsyncSession, trust_id: str) -> tuple[DensityHistory, int]:
    slots = dict(
        (
            await session.execute(
                select(DensitySlot.hour_of_week, DensitySlot.snapshots).where(DensitySlot.trust_id == trust_id)
            )
        ).all()
    )
    counts = (
        await session.execute(
            select(DensityCount.hour_of_week, DensityCount.cell, DensityCount.groups, DensityCount.observations).where(
                DensityCount.trust_id == trust_id
            )
        )
    ).all()
    return DensityHistory(slots, [(how, cell, groups, n) for how, cell, groups, n in counts]), sum(slots.values())


def _histogram(current: list[float], draft: list[float]) -> dict[str, int | list[int]]:
    top = max(current + draft, default=0.0)
    bins = int(top // HISTOGRAM_BIN_S) + 1

    def count(values: list[float]) -> list[int]:
        out = [0] * bins
        for v in values:
            out[int(v // HISTOGRAM_BIN_S)] += 1
        return out

    return {"bin_s": HISTOGRAM_BIN_S, "current": count(current), "draft": count(draft)}


async def compare(
    services: Services, *, trust_id: str, draft: dict[str, Any], start: datetime, end: datetime
) -> Comparison:
    if end <= start:
        raise Invalid(
            "the period must end after it starts", extra={"errors": [{"loc": "to", "msg": "must be after from"}]}
        )
    days = (end - start).total_seconds() / 86_400
    if days > services.settings.replay_max_days:
        raise Invalid(
            f"the period may cover at most {services.settings.replay_max_days} days",
            extra={"errors": [{"loc": "from", "msg": "period too long"}]},
        )
    async with reading(services) as session:
        await get_trust(session, trust_id)
        groups = dict(
            (await session.execute(select(Group.id, Group.private_locations).where(Group.trust_id == trust_id))).all()
        )
        try:
            draft_policy, warnings = build_policy(draft, known_groups=set(groups))
        except PolicyError as exc:
            raise Invalid(
                "the draft policy is not valid",
                extra={"errors": [{"loc": f"policy.{e.loc}", "msg": e.msg} for e in exc.errors]},
            ) from exc
        version, current_policy = await policies.current_policy(session, trust_id)
        rows = (
            await session.execute(
                select(
                    Incident.id,
                    Incident.lat,
                    Incident.lon,
                    Incident.category,
                    Incident.location_type,
                    Incident.created_at,
                )
                .where(
                    Incident.trust_id == trust_id,
                    Incident.created_at >= start,
                    Incident.created_at < end,
                    # A raised alert runs the policy's alerter section, not the phases a draft changes.
                    Incident.source == IncidentSource.CAD,
                )
                .order_by(Incident.created_at, Incident.id)
            )
        ).all()
        history, snapshots = await _history(session, trust_id)
        actual = await _actual(session, [r[0] for r in rows])
        rates = await _acceptance(session, trust_id, list(groups))
        members: dict[str, list[str]] = dict(
            (
                await session.execute(
                    select(Responder.id, Responder.groups).where(
                        Responder.trust_id == trust_id, Responder.status == "active"
                    )
                )
            ).all()
        )
        # Responders lacking a required credential are skipped by every phase (`credential_expired`):
        # the replay leaves them out too, and says how many.
        lacking = await credentials.lacking(
            session,
            trust_id=trust_id,
            responder_ids=list(members),
            required=await credentials.required_kinds(session, trust_id),
            now=services.clock(),
        )
    incidents = [ReplayIncident(i, lat, lon, cat, loc, at.timestamp()) for i, lat, lon, cat, loc, at in rows]
    model = Model(
        acceptance={g: r.mean for g, r in rates.items()},
        private_ok=groups,
        walking_speed_mps=services.settings.walking_speed_mps,
        route_factor=services.settings.route_factor,
    )

    def run(policy: Policy) -> list[Outcome]:
        return replay(incidents, policy, history, model)

    current_out, draft_out = await asyncio.to_thread(lambda: (run(current_policy), run(draft_policy)))

    def side(policy: Policy, outcomes: list[Outcome]) -> dict[str, Any]:
        wanted = policy_groups(policy)
        in_groups = [rid for rid, gs in members.items() if wanted.intersection(gs)]
        skipped = sum(1 for rid in in_groups if rid in lacking)
        summary = summarise(outcomes, responders=len(in_groups) - skipped, period_days=days).as_dict()
        return {**summary, "phases": by_phase(outcomes), "skipped": {"credential_expired": skipped}}

    # Incidents the current policy alerts for where the history holds nobody at all: zero there is
    # a gap in the history, not a finding about the policy, and the person comparing must know.
    blind = sum(1 for o in current_out if o.alerting and o.p_alerted == 0.0) if snapshots else 0

    report = {
        "trust": trust_id,
        "period": {"from": iso(start), "to": iso(end), "days": round(days, 3)},
        "actual": actual,
        "current": {"policy_version": version, **side(current_policy, current_out)},
        "draft": side(draft_policy, draft_out),
        "arrival_histogram": _histogram(arrivals(current_out), arrivals(draft_out)),
        "model": {
            "density": {"snapshots": snapshots, "h3_resolution": RESOLUTION},
            "acceptance_prior": {"alpha": PRIOR_ALPHA, "beta": PRIOR_BETA},
            "acceptance": {
                g: {"rate": round(r.mean, 4), "accepted": r.accepted, "refused": r.refused}
                for g, r in sorted(rates.items())
            },
            "walking_speed_mps": model.walking_speed_mps,
            "route_factor": model.route_factor,
        },
        "warnings": warnings + ([NO_HISTORY] if snapshots == 0 else []) + ([no_density_near(blind)] if blind else []),
    }
    return Comparison(report, current_out, draft_out)
