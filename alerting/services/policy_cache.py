"""Each trust's newest policy version, remembered by each API process.

Every CAD report runs under its trust's newest policy; reading which version that is was a query on
every POST. A policy changes rarely (an administrator saves a version), so each process remembers
the number (the parsed policy of a version is kept by `policies.policy_version`, versions never
change once written). A commit that adds, changes or removes a policy version (the session hook
below) empties every process's memory (services/broadcast_cache.py): this one at once, the others
by a message on Redis.

A message can be late, or lost: so the remembered number is only a guess, which the incident's own
INSERT checks against the newest version in the same statement (`incident_store.insert_new`). A
guess that turns out stale is forgotten and the report runs again on the version read afresh, so
no incident reported after a change committed runs under the policy it replaced.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from alerting.live.redis_client import LiveRedis
from alerting.services.broadcast_cache import BroadcastCache
from alerting.store.models import PolicyVersion

CHANGED = "policies_changed"  # the session flag set by the hooks below
MAX_TRUSTS = 10_000  # trusts remembered at most: beyond, the cache starts again empty


class PolicyVersionCache(BroadcastCache):
    def __init__(self, redis: LiveRedis, channel: str):
        super().__init__(redis, channel, name="policy version")
        self._newest: dict[str, int | None] = {}
        self._generation = 0  # moves on each clear: a read that began before it is not kept

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, trust_id: str) -> tuple[bool, int | None]:
        """(known, version): a trust with no policy yet is known as None."""
        if trust_id in self._newest:
            return True, self._newest[trust_id]
        return False, None

    def put(self, trust_id: str, version: int | None, *, read_at: int) -> None:
        """`read_at` is the generation when the version was read: a change heard since then may
        have made it stale, so it is not kept."""
        if not self.enabled or read_at != self._generation:
            return
        if len(self._newest) >= MAX_TRUSTS:
            self._newest.clear()
        self._newest[trust_id] = version

    def forget(self, trust_id: str) -> None:
        self._newest.pop(trust_id, None)

    def clear(self) -> None:
        self._generation += 1
        self._newest.clear()


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(obj, PolicyVersion) for objs in (session.new, session.dirty, session.deleted) for obj in objs):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: Any) -> None:
    """A bulk UPDATE or DELETE of policy versions."""
    if (state.is_update or state.is_delete) and any(mapper.class_ is PolicyVersion for mapper in state.all_mappers):
        state.session.info[CHANGED] = True
