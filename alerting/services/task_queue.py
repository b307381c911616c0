"""Work the services hand to the worker: phase timers, webhook delivery, push checks.

Celery on Redis carries it. An API process and the worker configure their Celery app with
`celery_app`, so the queue a sender writes to is the queue the worker reads. The worker registers
the tasks (alerting/worker.py) under the names in `Task`; senders only need the names.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from celery import Celery

from alerting.live.keys import Keys
from alerting.settings import Settings

__all__ = ["MAX_COUNTDOWN_S", "VISIBILITY_TIMEOUT_S", "Task", "TaskQueue", "celery_app"]

# Celery on Redis redelivers a task whose countdown outlives the visibility timeout; the sweep,
# not a long countdown, is what brings far-off timers back.
MAX_COUNTDOWN_S = 1800
VISIBILITY_TIMEOUT_S = 3600


class Task(StrEnum):
    WAKE = "alerting.wake"
    SWEEP = "alerting.sweep"
    PURGE_POSITIONS = "alerting.purge_positions"
    DELIVER_WEBHOOKS = "alerting.deliver_webhooks"
    WEBHOOK_SWEEP = "alerting.webhook_sweep"
    PUSH_UNACKNOWLEDGED = "alerting.push_unacknowledged"
    CREDENTIAL_REMINDERS = "alerting.credential_reminders"
    RECORD_DENSITY = "alerting.record_density"
    CHECK_INS = "alerting.check_ins"
    PURGE_CHECK_INS = "alerting.purge_check_ins"


def celery_app(settings: Settings) -> Celery:
    """A Celery app bound to this deployment's broker and queue, with no tasks of its own."""
    keys = Keys(settings.redis_prefix)
    app = Celery("alerting", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_default_queue=keys.task_queue(),
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
        worker_hijack_root_logger=False,
    )
    return app


class TaskQueue:
    """Sends tasks. Each call is blocking broker I/O: callers on an event loop run it in a thread.

    A due time further off than MAX_COUNTDOWN_S is not queued at all: the sweep fires it."""

    def __init__(self, celery: Celery):
        self.celery = celery

    def wake(self, incident_id: str, *, at: float, now: float) -> None:
        """Fire the incident's next due phase or expiry at `at` (unix time)."""
        self._send(Task.WAKE, [incident_id], at=at, now=now)

    def deliver_webhooks(self, incident_id: str) -> None:
        """Deliver the incident's due webhooks now."""
        self.celery.send_task(Task.DELIVER_WEBHOOKS, args=[incident_id])

    def retry_webhooks(self, incident_id: str, *, at: float, now: float) -> None:
        """Deliver them again at `at`, or after MAX_COUNTDOWN_S if that is sooner (the next run
        finds nothing due yet and asks again)."""
        self.celery.send_task(
            Task.DELIVER_WEBHOOKS, args=[incident_id], countdown=min(max(0.0, at - now), MAX_COUNTDOWN_S)
        )

    def push_unacknowledged(self, incident_id: str, *, at: float, now: float, no_socket: Collection[str]) -> None:
        """At `at`, push the incident's alerts still unacknowledged (and at once those in `no_socket`)."""
        self._send(Task.PUSH_UNACKNOWLEDGED, [incident_id, list(no_socket)], at=at, now=now)

    def check_ins(self, *, at: float, now: float) -> None:
        """Send the check-ins due by `at`; one further off is left to the periodic run."""
        self._send(Task.CHECK_INS, [], at=at, now=now)

    def close(self) -> None:
        self.celery.close()

    def _send(self, task: Task, args: list[object], *, at: float, now: float) -> None:
        delay = max(0.0, at - now)
        if delay <= MAX_COUNTDOWN_S:
            self.celery.send_task(task, args=args, countdown=delay)
