"""Per-credential token buckets in Redis: one Lua script, so every API process shares one bucket.

Each bucket refills at `rate` tokens per second up to `burst`; a request takes one token or is
refused with the seconds until one is back. The caller passes the time so the bucket agrees with
the clock the rest of the request uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerting.live.keys import Keys
from alerting.live.redis_client import LiveRedis

__all__ = ["Decision", "RateLimiter"]

_TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens), tostring(retry)}
"""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: float
    retry_after_s: float


class RateLimiter:
    def __init__(self, redis: LiveRedis, keys: Keys):
        self._keys = keys
        self._redis = redis
        self._script = redis.register_script(_TOKEN_BUCKET)

    async def take(self, scope: str, subject: str, *, rate: float, burst: int, now: float) -> Decision:
        allowed, remaining, retry = await self._script(
            keys=[self._keys.rate(scope, subject)], args=[repr(rate), burst, repr(now)]
        )
        return Decision(bool(int(allowed)), float(remaining), float(retry))

    async def peek(self, scope: str, subject: str, *, rate: float, burst: int, now: float) -> Decision:
        """Whether a token is there, without taking it: for limits that count failures only."""
        tokens, ts = await self._redis.hmget(self._keys.rate(scope, subject), ["tokens", "ts"])
        if tokens is None or ts is None:
            return Decision(True, float(burst), 0.0)
        left = min(burst, float(tokens) + max(0.0, now - float(ts)) * rate)
        return Decision(left >= 1, left, 0.0 if left >= 1 else (1 - left) / rate)
