"""Who a bearer token belongs to, remembered for a few seconds in each API process.

Every request and every socket sign-in asks `auth.authenticate`, which is a pooled connection, a
transaction and a join: about as much CPU as the rest of a small request. A CAD posting incidents
sends the same key each time, so each process keeps the answer for `credential_cache_s`.

A change must still take effect at once, on every process: a revoked or expired key, a suspended
or erased responder. So nothing is remembered past the credential's own expiry, refusals are never
remembered (a token issued a moment ago works at once), and any commit that touches a credential,
a responder's status or a trust (`watch`, a session hook, whatever service made the change)
empties the cache of every process: this one at once, the others by a message on Redis. A process
that loses that subscription empties its cache too, since it may have missed a message; the short
lifetime bounds what a lost message could leave behind.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from alerting.live.redis_client import LiveRedis
from alerting.services.broadcast_cache import BroadcastCache
from alerting.store.models import Credential, Responder, Trust

if TYPE_CHECKING:
    from alerting.services.auth import Principal

MAX_ENTRIES = 10_000  # tokens remembered at most: beyond, the cache starts again empty
CHANGED = "credentials_changed"  # the session flag set by the hooks below
_WATCHED = (Credential, Responder, Trust)


class CredentialCache(BroadcastCache):
    """Off until `start` (services/broadcast_cache.py), and with `ttl_s` 0."""

    def __init__(self, redis: LiveRedis, channel: str, *, ttl_s: float):
        super().__init__(redis, channel, name="credential")
        self.ttl_s = ttl_s
        # token hash -> (who, forgotten at on the monotonic clock, the credential's expiry or None)
        self._entries: dict[str, tuple[Principal, float, float | None]] = {}

    @property
    def enabled(self) -> bool:
        return super().enabled and self.ttl_s > 0

    def get(self, digest: str, *, now: float) -> Principal | None:
        """`now` is the services' clock, which the credential's expiry is kept against."""
        found = self._entries.get(digest)
        if found is None:
            return None
        principal, until, expires_at = found
        if until <= time.monotonic() or (expires_at is not None and expires_at <= now):
            self._entries.pop(digest, None)
            return None
        return principal

    def put(self, digest: str, principal: Principal, *, expires_at: float | None) -> None:
        if not self.enabled:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = (principal, time.monotonic() + self.ttl_s, expires_at)

    def clear(self) -> None:
        self._entries.clear()

    async def start(self) -> None:
        if self.ttl_s > 0:
            await super().start()


def _touches_credentials(session: Session) -> bool:
    for obj in session.dirty:
        if isinstance(obj, Credential | Trust):
            return True
        if isinstance(obj, Responder) and attributes.get_history(obj, "status").has_changes():
            return True
    return any(isinstance(obj, _WATCHED) for obj in session.deleted)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _touches_credentials(session):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: Any) -> None:
    """A bulk UPDATE or DELETE of credentials, responders or trusts (an erasure deletes them so)."""
    if (state.is_update or state.is_delete) and any(mapper.class_ in _WATCHED for mapper in state.all_mappers):
        state.session.info[CHANGED] = True
