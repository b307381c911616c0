"""Exactly-N assignment: one Lua script decides every accept, atomically, whatever the race.

SQL records the outcome afterwards; the script is the referee. Its state is small and can be
rebuilt from SQL (the accepted alerts) when Redis has lost it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerting.live.keys import Keys
from alerting.live.redis_client import LivePipeline, LiveRedis

LOST, NOT_OPEN, UNKNOWN = 0, -1, -2

# KEYS[1] incident hash {open, limit}; KEYS[2] winners zset (member -> slot). ARGV[1] responder.
_ACCEPT = """
local open = redis.call('HGET', KEYS[1], 'open')
if not open then return -2 end
local mine = redis.call('ZSCORE', KEYS[2], ARGV[1])
if mine then return tonumber(mine) end
if open ~= '1' then return -1 end
local n = redis.call('ZCARD', KEYS[2])
if n >= tonumber(redis.call('HGET', KEYS[1], 'limit')) then return 0 end
redis.call('ZADD', KEYS[2], n + 1, ARGV[1])
return n + 1
"""

# KEYS as above. ARGV[1] open 0|1, ARGV[2] limit, ARGV[3] ttl, ARGV[4..] the winners in slot order.
# Only when the state is missing, so a restore racing live accepts never overwrites them. A script
# rather than WATCH/MULTI: the same on one Redis and on a cluster, whose client cannot read a key
# between WATCH and MULTI.
_RESTORE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'open', ARGV[1], 'limit', ARGV[2])
redis.call('DEL', KEYS[2])
for i = 4, #ARGV do redis.call('ZADD', KEYS[2], i - 3, ARGV[i]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""


class AcceptReferee:
    def __init__(self, redis: LiveRedis, keys: Keys, *, ttl_s: int = 7 * 86_400):
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_s
        self._accept = redis.register_script(_ACCEPT)
        self._restore = redis.register_script(_RESTORE)

    def open_in(self, pipe: LivePipeline, trust: str, incident_id: str, limit: int) -> None:
        """Queued on the caller's pipeline ahead of the alert frames, so it is open before any accept."""
        key = self._keys.incident(trust, incident_id)
        pipe.hset(key, mapping={"open": "1", "limit": str(limit)})
        pipe.expire(key, self._ttl)

    def close_in(self, pipe: LivePipeline, trust: str, incident_id: str) -> None:
        """No more accepts can win; the winners set is kept so a repeated accept still answers."""
        pipe.hset(self._keys.incident(trust, incident_id), "open", "0")

    async def try_accept(self, trust: str, incident_id: str, responder_id: str) -> int:
        """1..limit: won that slot; 0: lost (full); -1: incident not open; -2: state unknown."""
        keys = [self._keys.incident(trust, incident_id), self._keys.winners(trust, incident_id)]
        return int(await self._accept(keys=keys, args=[responder_id]))

    async def restore(self, trust: str, incident_id: str, *, open_: bool, limit: int, winners: Sequence[str]) -> None:
        keys = [self._keys.incident(trust, incident_id), self._keys.winners(trust, incident_id)]
        await self._restore(keys=keys, args=["1" if open_ else "0", str(limit), str(self._ttl), *winners])
