"""Failed sign-ins, throttled per account and per client address with the shared Redis token bucket.

Only failures take a token, and the bucket is checked before the password is, so while an
account is throttled even the right password is refused: a guesser learns nothing from the answer.
"""

from __future__ import annotations

import hashlib
import math

from alerting.live.rate_limit import RateLimiter
from alerting.services.context import Services
from alerting.services.errors import TooMany

__all__ = ["LoginThrottle"]


class LoginThrottle:
    def __init__(self, services: Services):
        self._services = services
        self._limiter = RateLimiter(services.redis, services.keys)
        s = services.settings
        window = s.login_failure_window_s
        self._limits = {
            "login-account": (s.login_failures_per_account / window, s.login_failures_per_account),
            "login-address": (s.login_failures_per_address / window, s.login_failures_per_address),
        }

    def _subjects(self, email: str, address: str) -> dict[str, str]:
        # Hashed, so Redis never holds an email address.
        return {"login-account": hashlib.sha256(email.encode()).hexdigest()[:32], "login-address": address}

    async def check(self, *, email: str, address: str) -> None:
        now = self._services.clock()
        for scope, subject in self._subjects(email, address).items():
            rate, burst = self._limits[scope]
            decision = await self._limiter.peek(scope, subject, rate=rate, burst=burst, now=now)
            if not decision.allowed:
                retry = max(1, math.ceil(decision.retry_after_s))
                raise TooMany(f"too many failed sign-ins; try again in {retry} s", headers={"Retry-After": str(retry)})

    async def failed(self, *, email: str, address: str) -> None:
        now = self._services.clock()
        for scope, subject in self._subjects(email, address).items():
            rate, burst = self._limits[scope]
            await self._limiter.take(scope, subject, rate=rate, burst=burst, now=now)
