"""`POST /v1/trusts/{trust}/policy/replay`: what a draft policy would have done, beside the current one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from alerting.api.deps import AdminDep, ServicesDep
from alerting.api.schemas import PolicyIn, Strict
from alerting.domain.documents import Instant
from alerting.services import replay

router = APIRouter(prefix="/v1/trusts", tags=["policy replay"])
DEFAULT_PERIOD = timedelta(days=30)


class ReplayIn(Strict):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)
    policy: PolicyIn = Field(description="The draft policy, in the same shape as `PUT /policy`; it is not saved")
    start: Instant | None = Field(default=None, alias="from", description="Default: 30 days before `to`")
    end: Instant | None = Field(default=None, alias="to", description="Default: now")


@router.post("/{trust}/policy/replay", summary="What-if replay of a draft policy over past incidents")
async def replay_policy(trust: str, body: ReplayIn, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """Replays the incidents recorded in [`from`, `to`) under the current policy and under the draft,
    from the trust's responder density history (counts per H3 cell and hour of week) and its own
    accept/decline record (Beta(2, 8) prior per group). Each side reports expectations summed over
    incidents (`with_responder`: the sum of each incident's chance of at least one alert;
    `expected_accepted`: of at least one accept), the median and 90th-percentile expected first
    arrival (s) with each incident weighted by its chance of an accept, the expected alerts in all and
    per phase (`phases`), and alerts per responder per month. `actual` is what really happened to the
    same incidents: incidents, `with_alert`, `with_accept`, `alerts`, `accepts`. Nothing is saved."""
    end = body.end or datetime.fromtimestamp(services.clock(), UTC)
    start = body.start or end - DEFAULT_PERIOD
    result = await replay.compare(
        services,
        trust_id=trust,
        draft=body.policy.model_dump(exclude_none=True),
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
    )
    return result.report
