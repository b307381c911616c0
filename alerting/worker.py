"""The Celery app and its tasks: phase timers, the periodic sweep, webhook delivery.

Tasks take ids, run one service call and nothing more. Timers are idempotent and the sweep fires
anything overdue, so a lost or twice-delivered task costs seconds, never an alert.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown

from alerting.services import density, incidents, webhooks
from alerting.services.context import Services, build_services
from alerting.settings import Settings

log = logging.getLogger(__name__)

# Celery on Redis redelivers a task whose countdown outlives the visibility timeout; the sweep,
# not a long countdown, is what brings far-off timers back.
MAX_COUNTDOWN_S = 1800
VISIBILITY_TIMEOUT_S = 3600


def make_celery(settings: Settings) -> Celery:
    app = Celery("alerting", broker=settings.redis_url, set_as_current=False)
    queue = f"{settings.redis_prefix}tasks"
    app.conf.update(
        task_default_queue=queue,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT_S,
            "global_keyprefix": settings.redis_prefix,
        },
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        timezone="UTC",
        beat_schedule={
            "sweep": {"task": "alerting.sweep", "schedule": settings.sweep_interval_s},
            "purge_positions": {"task": "alerting.purge_positions", "schedule": settings.retention_interval_s},
        },
        worker_hijack_root_logger=False,
    )
    app.conf.beat_schedule["record-density"] = {
        "task": "alerting.record_density",
        "schedule": settings.density_interval_s,
    }
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
            self.services = build_services(
                self.celery.conf.alerting_settings,
                schedule_wake=scheduler(self.celery),
                deliver_webhooks=webhook_trigger(self.celery),
                schedule_push=push_trigger(self.celery),
            )
        return self.loop.run_until_complete(job(self.services))

    def close(self) -> None:
        if self.loop is not None and self.services is not None:
            self.loop.run_until_complete(self.services.aclose())
            self.loop.close()
            self.loop = None


def scheduler(celery: Celery) -> Callable[[str, float], None]:
    def schedule(incident_id: str, at: float) -> None:
        delay = max(0.0, at - time.time())
        if delay <= MAX_COUNTDOWN_S:
            celery.send_task("alerting.wake", args=[incident_id], countdown=delay)

    return schedule


def webhook_trigger(celery: Celery) -> Callable[[str], None]:
    def trigger(incident_id: str) -> None:
        celery.send_task("alerting.deliver_webhooks", args=[incident_id])

    return trigger


def push_trigger(celery: Celery) -> Callable[[str, float, list[str]], None]:
    def trigger(incident_id: str, at: float, no_socket: list[str]) -> None:
        delay = max(0.0, at - time.time())
        if delay <= MAX_COUNTDOWN_S:
            celery.send_task("alerting.push_unacknowledged", args=[incident_id, no_socket], countdown=delay)

    return trigger


def _register(app: Celery) -> _Runtime:
    runtime = _Runtime(app)

    @app.task(name="alerting.wake", shared=False, ignore_result=True)
    def wake(incident_id: str) -> None:
        runtime.run(lambda s: incidents.wake(s, incident_id))

    @app.task(name="alerting.sweep", shared=False, ignore_result=True)
    def sweep() -> int:
        async def job(s: Services) -> int:
            ids = await incidents.overdue(s)
            for incident_id in ids:
                await incidents.wake(s, incident_id)
            return len(ids)

        fired = runtime.run(job)
        if fired:
            log.info("sweep woke overdue incidents", extra={"count": fired})
        return fired

    @app.task(name="alerting.purge_positions", shared=False, ignore_result=True)
    def purge_positions() -> int:
        from alerting.services.retention import purge_positions as purge

        return runtime.run(purge)

    @app.task(name="alerting.deliver_webhooks", shared=False, ignore_result=True)
    def deliver_webhooks(incident_id: str) -> None:
        again = runtime.run(lambda s: webhooks.deliver(s, incident_id))
        if again is not None:
            app.send_task(
                "alerting.deliver_webhooks",
                args=[incident_id],
                countdown=min(max(0.0, again - time.time()), MAX_COUNTDOWN_S),
            )

    @app.task(name="alerting.webhook_sweep", shared=False, ignore_result=True)
    def webhook_sweep() -> int:
        """Re-queues due deliveries whose task was lost; a duplicate only finds nothing due."""
        ids = runtime.run(webhooks.due_incidents)
        for incident_id in ids:
            app.send_task("alerting.deliver_webhooks", args=[incident_id])
        return len(ids)

    app.conf.beat_schedule = {
        **app.conf.beat_schedule,
        "webhook_sweep": {"task": "alerting.webhook_sweep", "schedule": app.conf.alerting_settings.sweep_interval_s},
    }

    @app.task(name="alerting.push_unacknowledged", shared=False, ignore_result=True)
    def push_unacknowledged(incident_id: str, no_socket: list[str]) -> int:
        from alerting.push import provider_from
        from alerting.services.push_fallback import push_unacknowledged as push

        async def job(s: Services) -> int:
            provider = s.extras.get("push_provider") or s.extras.setdefault("push_provider", provider_from(s.settings))
            return await push(s, provider, incident_id, no_socket=no_socket)

        return runtime.run(job)

    @app.task(name="alerting.credential_reminders", shared=False, ignore_result=True)
    def credential_reminders() -> int:
        """Reminds responders of credentials about to expire: a `reminder` frame and a push."""
        from alerting.push import provider_from
        from alerting.services.reminders import send_due

        async def job(s: Services) -> int:
            provider = s.extras.get("push_provider") or s.extras.setdefault("push_provider", provider_from(s.settings))
            return await send_due(s, provider)

        return runtime.run(job)

    app.conf.beat_schedule["credential_reminders"] = {
        "task": "alerting.credential_reminders",
        "schedule": app.conf.alerting_settings.credential_reminder_interval_s,
    }

    @app.task(name="alerting.record_density", shared=False, ignore_result=True)
    def record_density() -> int:
        return runtime.run(lambda s: density.record_all(s, now=s.clock()))

    return runtime


def queue_key(settings: Settings) -> str:
    """The Redis list holding waiting tasks: kombu puts its global key prefix before the queue name."""
    return f"{settings.redis_prefix}{settings.redis_prefix}tasks"
