"""Applies the per-key rate limit to every authenticated HTTP request: 429 with Retry-After."""

from __future__ import annotations

import math

from alerting.services import auth
from alerting.services.auth import Principal
from alerting.services.context import Services
from alerting.services.errors import TooMany

__all__ = ["enforce"]


async def enforce(services: Services, principal: Principal) -> None:
    """CAD keys get their own (usually tighter) rate; every other credential shares the default."""
    settings = services.settings
    if not settings.rate_limits_enabled:
        return
    if principal.kind == auth.CAD:
        rate, burst = settings.rate_limit_cad_per_s, settings.rate_limit_cad_burst
    else:
        rate, burst = settings.rate_limit_per_s, settings.rate_limit_burst
    subject = principal.credential_id or principal.kind
    decision = await services.rate_limiter.take("key", subject, rate=rate, burst=burst, now=services.clock())
    if not decision.allowed:
        retry = max(1, math.ceil(decision.retry_after_s))
        raise TooMany(
            f"this key is limited to {rate:g} requests per second (bursts of {burst}); retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )
