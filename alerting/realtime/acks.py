"""Acknowledgements from the sockets of this process, written together.

Every alerted app acknowledges every alert it shows, so acks are the most frequent write there is:
three or four for each incident, all within milliseconds of each other. Each in a transaction of
its own would cost a connection checkout, a BEGIN and a COMMIT per ack; here an ack that arrives
while none is being written is written at once (no added wait), and those that arrive meanwhile
are written together in the next unit of work, with one UPDATE for all of them
(`alerts.acknowledge_many`). Each socket still gets its own answer: nothing, or an `error` frame
for an alert that is not the responder's. A database that fails fails every ack of the batch, and
each socket is told to send it again, as it would be told for a single ack.
"""

from __future__ import annotations

import asyncio
import logging

from alerting.services import alerts
from alerting.services.context import Services
from alerting.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

MAX_BATCH = 500  # acks per transaction at most; a flood is written in several


class AckBatcher:
    def __init__(self, services: Services):
        self._services = services
        self._waiting: list[tuple[alerts.Ack, asyncio.Future[alerts.Answer]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def acknowledge(self, *, trust_id: str, responder_id: str, alert_id: str) -> alerts.Answer:
        """The answer to one ack, once the batch it went in has committed."""
        answer: asyncio.Future[alerts.Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((alerts.Ack(trust_id, responder_id, alert_id), answer))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="ack-writer")
        return await answer

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    async with unit_of_work(self._services) as uow:
                        answers = await alerts.acknowledge_many(uow, acks=[ack for ack, _ in batch])
                except Exception as exc:  # noqa: BLE001 - handed to each ack: its socket says "send it again"
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), answer in zip(batch, answers, strict=True):
                    if future.done():
                        continue  # its socket has gone
                    if isinstance(answer, Exception):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
        finally:
            self._writer = None

    async def aclose(self) -> None:
        """Let the acks already taken be written (at shutdown)."""
        if self._writer is not None:
            await asyncio.shield(self._writer)
