"""Work the services hand to the worker: phase timers, webhook delivery, push checks.

Celery carries it, on the deployment's Redis or on RabbitMQ (`broker_url`). An API process and the
worker configure their Celery app with `celery_app`, so the queue a sender writes to is the queue
the worker reads. The worker registers the tasks (alerting/worker.py) under the names in `Task`;
senders only need the names.

Phase timers and push checks come with every incident, three or four per new one, and each
Celery message costs the sender about a millisecond of CPU and the worker more to receive,
schedule and run. So they are gathered and sent as one `wake_many` / `push_unacknowledged_many`
per due time, rounded up (never early: an early push check would find nothing due and push
nothing) to a step that grows with how far off it is: `DUE_STEP_S` for what is due now, a
fiftieth of the delay beyond, at most `MAX_DUE_STEP_S` late. A batch leaves `batch_window_s` (a
tenth of a second) after its first item, or one step after it when the step is longer: a timer
due in fifteen minutes waits up to a second here, so the incidents of that second share one
message rather than one each tenth of a second, and still leaves long before it is due. A crash
loses at most the timers still waiting: the periodic sweep fires any incident whose timer was
lost, as it does for a crash between a commit and a send.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Collection
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from celery import Celery

from alerting.live.keys import Keys
from alerting.settings import Settings

__all__ = ["DUE_STEP_S", "MAX_COUNTDOWN_S", "MAX_DUE_STEP_S", "VISIBILITY_TIMEOUT_S", "Task", "TaskQueue", "celery_app"]

log = logging.getLogger(__name__)

# A task waiting out its countdown is held unacknowledged by the worker. Celery on Redis redelivers
# it once the visibility timeout passes; RabbitMQ closes the worker's channel when a delivery stays
# unacknowledged past its consumer_timeout (30 min by default). The sweep, not a long countdown, is
# what brings far-off timers back, so countdowns stay well inside both.
MAX_COUNTDOWN_S = 900
VISIBILITY_TIMEOUT_S = 3600
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix", "redis+socket"})
DUE_STEP_S = 0.1  # batched timers due within one step of each other travel in one message
MAX_DUE_STEP_S = 1.0


class Task(StrEnum):
    WAKE = "alerting.wake"
    WAKE_MANY = "alerting.wake_many"
    SWEEP = "alerting.sweep"
    PURGE_POSITIONS = "alerting.purge_positions"
    DELIVER_WEBHOOKS = "alerting.deliver_webhooks"
    WEBHOOK_SWEEP = "alerting.webhook_sweep"
    PUSH_UNACKNOWLEDGED = "alerting.push_unacknowledged"
    PUSH_UNACKNOWLEDGED_MANY = "alerting.push_unacknowledged_many"
    CREDENTIAL_REMINDERS = "alerting.credential_reminders"
    RECORD_DENSITY = "alerting.record_density"
    CHECK_INS = "alerting.check_ins"
    PURGE_CHECK_INS = "alerting.purge_check_ins"


def celery_app(settings: Settings) -> Celery:
    """A Celery app bound to this deployment's broker and queue, with no tasks of its own."""
    keys = Keys(settings.redis_prefix)
    broker = settings.celery_broker_url
    app = Celery("alerting", broker=broker, set_as_current=False)
    on_redis = _on_redis(broker)
    app.conf.update(
        task_default_queue=keys.task_queue(),
        control_exchange=keys.task_queue(),  # remote control too stays within the deployment
        # On RabbitMQ the queue's name alone (it starts with the prefix) keeps deployments apart.
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S, "global_keyprefix": settings.redis_prefix}
        if on_redis
        else {},
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        timezone="UTC",
        worker_hijack_root_logger=False,
    )
    return app


def _on_redis(broker_url: str) -> bool:
    return urlsplit(broker_url).scheme in REDIS_SCHEMES


class TaskQueue:
    """Sends tasks. Each immediate send is blocking broker I/O: callers on an event loop run it in
    a thread. `wake` and `push_unacknowledged` only queue (cheap, safe on an event loop): a thread
    of this queue sends them in batches every `batch_window_s`; 0 sends each at once.

    A due time further off than MAX_COUNTDOWN_S is not queued at all: the sweep fires it."""

    def __init__(self, celery: Celery, *, batch_window_s: float = 0.0):
        self.celery = celery
        self.batch_window_s = batch_window_s
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._sending = threading.Lock()  # one batch on its way at a time
        # (task, due time on the monotonic clock) -> the items of one message
        self._pending: dict[tuple[Task, float], list[object]] = defaultdict(list)
        self._leaves_at: dict[tuple[Task, float], float] = {}  # when each batch is sent, monotonic
        self._next_send = math.inf  # when the thread wakes next to send, monotonic
        self._thread: threading.Thread | None = None
        self._closing = False
        self._stopping = threading.Event()

    def wake(self, incident_id: str, *, at: float, now: float) -> None:
        """Fire the incident's next due phase or expiry at `at` (unix time)."""
        self._queue(Task.WAKE_MANY, incident_id, at=at, now=now)

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
        self._queue(Task.PUSH_UNACKNOWLEDGED_MANY, [incident_id, list(no_socket)], at=at, now=now)

    def check_ins(self, *, at: float, now: float) -> None:
        """Send the check-ins due by `at`; one further off is left to the periodic run."""
        delay = max(0.0, at - now)
        if delay <= MAX_COUNTDOWN_S:
            self.celery.send_task(Task.CHECK_INS, args=[], countdown=delay)

    def depth(self) -> int:
        """Tasks waiting in the queue, asked of whichever broker carries it (blocking, like a send)."""
        queue = self.celery.conf.task_default_queue
        # kombu's Redis transport looks for the queue without its key prefix, so a passive declare
        # says "not found" there; an active one creates nothing on Redis. On RabbitMQ an active
        # declare could clash with the worker's queue arguments: ask passively.
        passive = not _on_redis(self.celery.conf.broker_url)
        with self.celery.connection_for_read() as conn:
            channel: Any = conn.default_channel  # the stubs know only the channel's common methods
            try:
                return int(channel.queue_declare(queue=queue, passive=passive).message_count)
            except conn.channel_errors as exc:
                if "NOT_FOUND" in str(exc):  # nobody has declared the queue yet
                    return 0
                raise

    def flush(self) -> None:
        """Send every queued timer and push check now; on return, all queued before are sent
        (a batch the thread is sending meanwhile included)."""
        with self._sending:
            with self._lock:
                batches, self._pending = self._pending, defaultdict(list)
                self._leaves_at.clear()
            self._send(batches)

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self._wakeup.notify()
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
        self.celery.close()

    def _queue(self, task: Task, item: object, *, at: float, now: float) -> None:
        delay = max(0.0, at - now)
        if delay > MAX_COUNTDOWN_S:
            return
        width = min(MAX_DUE_STEP_S, max(DUE_STEP_S, delay / 50))
        clock = time.monotonic()
        due = math.ceil((clock + delay) / width) * width
        key = (task, due)
        with self._lock:
            self._pending[key].append(item)
            if self.batch_window_s > 0:
                if key not in self._leaves_at:
                    # a step is at most a fiftieth of the delay: the batch still leaves well before it is due
                    leaves_at = self._leaves_at[key] = clock + max(
                        self.batch_window_s, width if width > DUE_STEP_S else 0
                    )
                    if self._thread is None:
                        self._thread = threading.Thread(target=self._run, name="task-batches", daemon=True)
                        self._thread.start()
                    if leaves_at < self._next_send:
                        self._wakeup.notify()
                return
        self.flush()

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._closing:
                        return  # close() sends what is left
                    self._next_send = min(self._leaves_at.values(), default=math.inf)
                    wait = self._next_send - time.monotonic()
                    if wait <= 0:
                        break
                    self._wakeup.wait(None if math.isinf(wait) else wait)
                self._next_send = math.inf  # sending now: a new batch meanwhile waits for the next turn
            self._send_ready()

    def _send_ready(self) -> None:
        with self._sending:
            now = time.monotonic()
            with self._lock:
                ready = {key: self._pending.pop(key) for key, at in list(self._leaves_at.items()) if at <= now}
                for key in ready:
                    del self._leaves_at[key]
            self._send(ready)

    def _send(self, batches: dict[tuple[Task, float], list[object]]) -> None:
        for (task, due), items in sorted(batches.items(), key=lambda kv: kv[0][1]):
            countdown = max(0.0, due - time.monotonic())
            try:
                self.celery.send_task(task, args=[items], countdown=countdown)
            except Exception:  # a lost timer is fired by the sweep; a lost push check is not retried
                log.exception("sending %s failed for %d items; the sweep fires lost timers", task, len(items))
