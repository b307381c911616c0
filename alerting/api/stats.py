"""`GET /v1/trusts/{trust}/stats`: how the trust's scheme performed over a period, as JSON or CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from alerting.api.deps import AdminDep, ServicesDep
from alerting.domain.documents import Instant
from alerting.domain.scheme_stats import as_csv
from alerting.services import scheme_stats
from alerting.services.unit_of_work import reading

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])
DEFAULT_PERIOD = timedelta(days=30)


@router.get(
    "/{trust}/stats",
    summary="The scheme's numbers for a period, group and zone (JSON, or CSV with Accept: text/csv or ?format=csv)",
    responses={200: {"content": {"text/csv": {}}}},
)
async def trust_stats(
    trust: str,
    request: Request,
    services: ServicesDep,
    who: AdminDep,
    start: Annotated[
        Instant | None,
        Query(alias="from", description="From this time (RFC 3339), inclusive; default 30 days before `to`"),
    ] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Before this time (RFC 3339); default now")] = None,
    group: str | None = Query(None, max_length=64, description="Count only alerts to responders now in this group"),
    zone: str | None = Query(
        None, max_length=200, description="Only incidents that fell in the policy zone of this name"
    ),
    format: Literal["json", "csv"] | None = Query(None, description="`csv` is the same as `Accept: text/csv`"),
) -> Any:
    """Incidents that reached the platform in [`from`, `to`): `incidents`; `alerted` and `accepted`
    (incidents with at least one alert, and with at least one accept); `alerts`, `alerts_accepted` and
    `acceptance_rate` (accepted alerts over alerts sent); `time_to_first_accept_s` and
    `time_to_arrive_s` (`count`, `p50`, `p90` by nearest rank, seconds from the incident's arrival
    to its first accept or first responder on scene); `ahead_of_ambulance` (of incidents whose
    `ambulance_arrived_at` the CAD sent, those where a responder arrived first, and the share; `share`
    is null when none); `declines_by_reason` (`too_far`, `busy`, `unsafe`, `other`, `none_given`);
    `credential_expiries` (active responders' certificates expiring in the next 30 days, by kind and
    by week, whatever the period); `by_day`. With `group`, every alert-based number counts only that
    group's responders; `incidents` still counts every incident. See docs/console.md."""
    to = (end or datetime.fromtimestamp(services.clock(), UTC)).astimezone(UTC)
    since = (start or to - DEFAULT_PERIOD).astimezone(UTC)
    async with reading(services) as session:
        body = await scheme_stats.report(
            session,
            trust_id=trust,
            scope=scheme_stats.Scope(since, to, group=group, zone=zone),
            now=services.clock(),
        )
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return Response(
            as_csv(body),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="stats-{trust}.csv"'},
        )
    return body
