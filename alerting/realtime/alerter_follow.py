"""Keeps one alerter's socket told what help is coming, on the process that holds the socket.

Whatever changes their incident (an accept, a withdrawal, a confirmation, a responder's new
position, the end) publishes a small HELP_CHANGED on the alerter's channel; the frames are read
here, from SQL and the live index, not carried on the bus, so one rule (the domain's
`help_summary`) decides what the alerter sees however the change came. Changes that arrive while a
read is in flight are folded into one more read, never queued one by one, so a burst of positions
costs two reads; a frame equal to the last one sent is not sent again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from alerting.realtime.registry import Connection
from alerting.services import alerter_live
from alerting.services.context import Services
from alerting.services.unit_of_work import reading

log = logging.getLogger(__name__)
_BACKEND_DOWN = (SQLAlchemyError, RedisError, ConnectionError, TimeoutError)


class HelpFollower:
    def __init__(self, services: Services, conn: Connection, *, trust_id: str, alerter_id: str):
        self.services = services
        self.conn = conn
        self.trust_id = trust_id
        self.alerter_id = alerter_id
        self.incident_id: str | None = None  # the alert followed: the newest one raised
        self._sent: dict[str, Any] = {}  # the last frame of each type sent, to send only changes
        self._stale = False
        self._task: asyncio.Task[None] | None = None
        # One read at a time: a read begun earlier must never offer its older frame after a later one.
        self._reading = asyncio.Lock()

    def changed(self, incident_id: str | None) -> None:
        """From the bus (not awaited): read again soon, once however many changes came meanwhile."""
        if incident_id:
            self.incident_id = incident_id
        self._stale = True
        if self._task is None and self.conn.ended is None:
            self._task = asyncio.create_task(self._catch_up(), name="alerter-help")

    async def start(self, asked: str | None = None) -> str | None:
        """The open alert to follow, and its help, offered before anything the bus brings later.
        With none open, the alert the page `asked` for, if this alerter raised it: a page connects
        moments after its raise, and an alert closed in between (a CAD's cancel, a held alarm's
        expiry) must still reach it with how it ended, not leave it waiting."""
        async with reading(self.services) as session:
            current = await alerter_live.open_incident_id(session, trust_id=self.trust_id, alerter_id=self.alerter_id)
            if current is None and asked:
                ours = await alerter_live.raised_by(
                    session, trust_id=self.trust_id, alerter_id=self.alerter_id, incident_id=asked
                )
                current = asked if ours else None
        if self.incident_id is None:
            self.incident_id = current
        return self.incident_id

    async def send_current(self) -> None:
        async with self._reading:
            if self.incident_id is None:
                return
            async with reading(self.services) as session:
                frames = await alerter_live.help_frames(
                    session,
                    self.services,
                    trust_id=self.trust_id,
                    alerter_id=self.alerter_id,
                    incident_id=self.incident_id,
                )
            for frame in frames:
                if self._sent.get(frame["type"]) != frame:
                    self._sent[frame["type"]] = frame
                    self.conn.offer(frame)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _catch_up(self) -> None:
        try:
            while self._stale and self.conn.ended is None:
                self._stale = False
                try:
                    await self.send_current()
                except _BACKEND_DOWN:
                    # The next change reads again; a reconnect gets the help on connect.
                    log.warning("alerter help not read: backend unavailable", exc_info=True)
                    return
                except Exception:
                    log.exception("alerter help not read", extra={"incident_id": self.incident_id})
                    return
        finally:
            if self._task is asyncio.current_task():
                self._task = None
