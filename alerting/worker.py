"""The Celery app and its tasks: phase timers, the periodic sweep, webhook delivery.

Tasks take ids, run one service call and nothing more. Timers are idempotent and the sweep fires
anything overdue, so a lost or twice-delivered task costs seconds, never an alert.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown

from alerting.push.configured import native_providers
from alerting.services import check_ins, density, incidents, push_fallback, reminders, retention, webhooks
from alerting.services.context import Services, build_services
from alerting.services.task_queue import Task, celery_app
from alerting.services.unit_of_work import reading, unit_of_work
from alerting.settings import Settings

log = logging.getLogger(__name__)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every periodic task and how often beat sends it: the one schedule."""
    every = {
        Task.SWEEP: settings.sweep_interval_s,
        Task.WEBHOOK_SWEEP: settings.sweep_interval_s,
        Task.PURGE_POSITIONS: settings.retention_interval_s,
        Task.RECORD_DENSITY: settings.density_interval_s,
        Task.CREDENTIAL_REMINDERS: settings.credential_reminder_interval_s,
        Task.CHECK_INS: settings.check_in_interval_s,
        Task.PURGE_CHECK_INS: settings.retention_interval_s,
    }
    return {task.removeprefix("alerting."): {"task": str(task), "schedule": s} for task, s in every.items()}


def make_celery(settings: Settings) -> Celery:
    """The worker's Celery app: the deployment's queue (task_queue.celery_app), its tasks and beat."""
    native_providers(settings)  # credentials that do not read stop a production worker here
    app = celery_app(settings)
    app.conf.beat_schedule = beat_schedule(settings)
    app.conf.alerting_settings = settings
    runtime = _register(app)
    worker_process_shutdown.connect(lambda **_: runtime.close(), weak=False)
    return app


class _Runtime:
    """One event loop and one set of services per worker process, built lazily after the fork."""

    def __init__(self, celery: Celery):
        self.celery = celery
        self.loop: asyncio.AbstractEventLoop | None = None
        self.services: Services | None = None

    def run(self, job: Callable[[Services], Awaitable[Any]]) -> Any:
        if self.loop is None or self.services is None:
            self.loop = asyncio.new_event_loop()
            self.services = build_services(self.celery.conf.alerting_settings)
        return self.loop.run_until_complete(job(self.services))

    def close(self) -> None:
        if self.loop is not None and self.services is not None:
            self.loop.run_until_complete(self.services.aclose())
            self.loop.close()
            self.loop = None


def _register(app: Celery) -> _Runtime:
    runtime = _Runtime(app)

    async def wake_one(s: Services, incident_id: str) -> None:
        async with unit_of_work(s) as uow:
            await incidents.wake(uow, incident_id=incident_id)

    @app.task(name=Task.WAKE, shared=False, ignore_result=True)
    def wake(incident_id: str) -> None:
        runtime.run(lambda s: wake_one(s, incident_id))

    @app.task(name=Task.WAKE_MANY, shared=False, ignore_result=True)
    def wake_many(incident_ids: list[str]) -> None:
        """Timers sent together (alerting/services/task_queue.py): each in its own unit of work, and
        one incident's failure holds no other (the sweep tries it again)."""

        async def job(s: Services) -> None:
            for incident_id in incident_ids:
                try:
                    await wake_one(s, incident_id)
                except Exception:
                    log.exception("wake failed; the sweep tries again", extra={"incident_id": incident_id})

        runtime.run(job)

    @app.task(name=Task.SWEEP, shared=False, ignore_result=True)
    def sweep() -> int:
        async def job(s: Services) -> int:
            async with reading(s) as session:
                ids = await incidents.overdue(session, now=s.clock())
            for incident_id in ids:  # each in its own unit of work: one incident's trouble holds no other
                await wake_one(s, incident_id)
            return len(ids)

        fired = runtime.run(job)
        if fired:
            log.info("sweep woke overdue incidents", extra={"count": fired})
        return fired

    @app.task(name=Task.PURGE_POSITIONS, shared=False, ignore_result=True)
    def purge_positions() -> int:
        return runtime.run(retention.purge_positions)

    @app.task(name=Task.DELIVER_WEBHOOKS, shared=False, ignore_result=True)
    def deliver_webhooks(incident_id: str) -> None:
        async def job(s: Services) -> None:
            again = await webhooks.deliver(s, incident_id)
            if again is not None:
                s.tasks.retry_webhooks(incident_id, at=again, now=s.clock())

        runtime.run(job)

    @app.task(name=Task.WEBHOOK_SWEEP, shared=False, ignore_result=True)
    def webhook_sweep() -> int:
        """Re-queues due deliveries whose task was lost; a duplicate only finds nothing due."""

        async def job(s: Services) -> int:
            async with reading(s) as session:
                ids = await webhooks.due_incidents(session, now=s.clock())
            for incident_id in ids:
                s.tasks.deliver_webhooks(incident_id)
            return len(ids)

        return runtime.run(job)

    @app.task(name=Task.PUSH_UNACKNOWLEDGED, shared=False, ignore_result=True)
    def push_unacknowledged(incident_id: str, no_socket: list[str]) -> int:
        return runtime.run(lambda s: push_fallback.push_unacknowledged(s, incident_id, no_socket=no_socket))

    @app.task(name=Task.PUSH_UNACKNOWLEDGED_MANY, shared=False, ignore_result=True)
    def push_unacknowledged_many(items: list[tuple[str, list[str]]]) -> int:
        """Push checks sent together: `[incident id, responders with no socket]` each."""
        return runtime.run(lambda s: push_fallback.push_unacknowledged_many(s, [(i, n) for i, n in items]))

    @app.task(name=Task.CHECK_INS, shared=False, ignore_result=True)
    def send_check_ins() -> int:
        """Asks responders who accepted, some time ago, how they are: a `check_in` frame and a push."""
        return runtime.run(check_ins.send_due)

    @app.task(name=Task.PURGE_CHECK_INS, shared=False, ignore_result=True)
    def purge_check_ins() -> int:
        """Forgets check-ins and their answers past `check_in_retention_s`."""
        return runtime.run(check_ins.purge)

    @app.task(name=Task.CREDENTIAL_REMINDERS, shared=False, ignore_result=True)
    def credential_reminders() -> int:
        """Reminds responders of credentials about to expire: a `reminder` frame and a push."""
        return runtime.run(lambda s: reminders.send_due(s))

    @app.task(name=Task.RECORD_DENSITY, shared=False, ignore_result=True)
    def record_density() -> int:
        return runtime.run(lambda s: density.record_all(s, now=s.clock()))

    return runtime
