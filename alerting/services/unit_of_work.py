"""One unit of work: a session in one transaction, and what to publish once it has committed.

The edge (a route, a socket handler, a Celery task, a CLI command) opens it and passes it to
keyword-only service functions; services add rows and queue effects, never commit. Leaving the
block commits, then publishes the effects in the order they were queued; an exception rolls
everything back and publishes nothing:

    async with unit_of_work(services) as uow:
        body, created = await incidents.report(uow, trust_id=trust_id, report=report)
    return body  # committed and published

Publishing happens after the commit so that nothing reaches a responder or a CAD that SQL does
not hold: a crash in between loses no alert (reconnect, push and the sweep recover it). A failure
while publishing is logged by `effects.publish` and never turns into an error for the caller, who
would otherwise retry something that succeeded.

Sessions are made here and nowhere else (docs/architecture.md): a read is `reading(services)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services import effects
from alerting.services.context import Services
from alerting.services.credential_cache import CHANGED as CREDENTIALS_CHANGED
from alerting.services.policy_cache import CHANGED as POLICIES_CHANGED

AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class UnitOfWork:
    services: Services
    session: AsyncSession
    _after: list[AfterCommit] = field(default_factory=list)
    _one_statement: bool = False

    async def one_statement(self) -> None:
        """For a unit of work whose one write is a single statement (a new incident's, on PostgreSQL:
        `incident_store.insert_new`) and whose other statements only read: it runs without BEGIN
        and COMMIT, two round trips that hold nothing together here, and the statement commits by
        itself. Called before the first statement. Nothing may be left for the commit to write
        (it could not be undone with the statement): that is refused at the end, loudly; what
        was queued to publish is not published then."""
        await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self._one_statement = True

    def publish(self, fx: effects.Effects, *, open_limit: int | None = None) -> None:
        """Queue a transition's frames, timers and webhooks for after the commit."""
        self._after.append(lambda: effects.publish(self.services, fx, open_limit=open_limit))

    def after_commit(self, job: AfterCommit) -> None:
        """Queue any other post-commit step (a bus message, closing a socket)."""
        self._after.append(job)

    async def discard(self) -> None:
        """Roll back everything done so far and forget what was queued; what follows runs in a
        fresh transaction. For a lost race on a unique key: the loser then reads the winner's row."""
        await self.session.rollback()
        self._after.clear()
        self._one_statement = False  # what follows runs in a transaction again


@asynccontextmanager
async def unit_of_work(services: Services) -> AsyncIterator[UnitOfWork]:
    async with services.sessions() as session:
        uow = UnitOfWork(services, session)
        try:
            yield uow
        except BaseException:
            await session.rollback()
            raise
        if uow._one_statement and (session.new or session.dirty or session.deleted):
            await session.rollback()
            raise RuntimeError("a one-statement unit of work was left more to write, which was not written")
        await session.commit()
        credentials_changed = session.info.pop(CREDENTIALS_CHANGED, False)
        policies_changed = session.info.pop(POLICIES_CHANGED, False)
    if credentials_changed:  # before anything is published: a stand-down's reconnect is refused
        await services.credentials.changed()
    if policies_changed:
        await services.policies.changed()
    for job in uow._after:
        await job()


@asynccontextmanager
async def reading(services: Services) -> AsyncIterator[AsyncSession]:
    """A read-only session for the edge: no transaction to commit and nothing to publish."""
    async with services.sessions() as session:
        yield session
