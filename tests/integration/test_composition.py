"""The composition root: one typed Services for every process, and one queue its tasks travel on."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import datetime

import pytest
from pydantic import ValidationError

from alerting.services.context import Services, build_services
from alerting.services.task_queue import MAX_DUE_STEP_S, Task, TaskQueue, celery_app
from alerting.worker import beat_schedule, make_celery
from tests.support.stack import TEST_BROKER_URL, drop_broker_queue, make_settings


def test_services_has_no_defaults_to_forget_wiring_behind():
    missing = [f.name for f in dataclasses.fields(Services) if f.default is not dataclasses.MISSING]
    factories = [f.name for f in dataclasses.fields(Services) if f.default_factory is not dataclasses.MISSING]
    assert missing == [] and factories == []


async def test_tasks_a_process_sends_land_on_the_queue_the_worker_reads():
    settings = make_settings("sqlite://")  # no database is touched
    services = build_services(settings)
    worker = make_celery(settings)
    try:
        queue = services.keys.task_list()
        assert worker.conf.task_default_queue == services.keys.task_queue()
        now = services.clock()
        services.tasks.wake("inc-1", at=now + 5, now=now)
        services.tasks.deliver_webhooks("inc-1")
        services.tasks.push_unacknowledged("inc-1", at=now, now=now, no_socket=["r1"])
        services.tasks.wake("inc-2", at=now + 7200, now=now)  # beyond the countdown cap: left to the sweep
        services.tasks.flush()  # timers and push checks travel in batches
        assert await services.redis.llen(queue) == 3
        assert services.tasks.depth() == 3
        assert set(worker.tasks) >= {str(t) for t in Task}
    finally:
        await services.redis.delete(queue)
        await services.aclose()


async def test_on_rabbitmq_tasks_land_on_the_queue_the_worker_reads():
    settings = make_settings("sqlite://", broker_url=TEST_BROKER_URL)
    services = build_services(settings)
    worker = make_celery(settings)
    try:
        assert worker.conf.broker_url == settings.broker_url == services.tasks.celery.conf.broker_url
        assert worker.conf.task_default_queue == services.keys.task_queue()
        assert services.tasks.depth() == 0  # not declared yet
        now = services.clock()
        services.tasks.wake("inc-1", at=now + 5, now=now)
        services.tasks.deliver_webhooks("inc-1")
        services.tasks.wake("inc-2", at=now + 7200, now=now)  # beyond the countdown cap: left to the sweep
        services.tasks.flush()  # timers and push checks travel in batches
        assert services.tasks.depth() == 2
        assert await services.redis.llen(services.keys.task_list()) == 0  # nothing went to Redis
    finally:
        drop_broker_queue(settings)
        await services.aclose()


def test_a_cluster_needs_a_broker_of_its_own():
    with pytest.raises(ValidationError, match="ALERTING_BROKER_URL"):
        make_settings("sqlite://", redis_cluster=True)


async def test_timers_and_push_checks_due_together_travel_in_one_message():
    settings = make_settings("sqlite://")
    services = build_services(settings)
    tasks = TaskQueue(celery_app(settings), batch_window_s=60)  # only flush() sends
    queue = services.keys.task_list()
    try:
        now = services.clock()
        for incident_id in ("inc-1", "inc-2", "inc-3"):
            tasks.wake(incident_id, at=now + 900, now=now)
            tasks.push_unacknowledged(incident_id, at=now, now=now, no_socket=["r1"])
        assert await services.redis.llen(queue) == 0
        tasks.flush()
        messages = [json.loads(m) for m in await services.redis.lrange(queue, 0, -1)]
        by_task = {m["headers"]["task"]: m for m in messages}
        assert sorted(by_task) == [Task.PUSH_UNACKNOWLEDGED_MANY, Task.WAKE_MANY]
        bodies = {task: json.loads(base64.b64decode(m["body"]))[0][0] for task, m in by_task.items()}
        assert bodies[Task.WAKE_MANY] == ["inc-1", "inc-2", "inc-3"]
        assert bodies[Task.PUSH_UNACKNOWLEDGED_MANY] == [["inc-1", ["r1"]], ["inc-2", ["r1"]], ["inc-3", ["r1"]]]
        wake_eta = datetime.fromisoformat(by_task[Task.WAKE_MANY]["headers"]["eta"]).timestamp()
        assert now + 900 <= wake_eta <= now + 900 + MAX_DUE_STEP_S + 5  # never early, at most a step late
    finally:
        tasks.close()
        await services.redis.delete(queue)
        await services.aclose()


def test_every_periodic_task_is_in_the_one_schedule():
    settings = make_settings(
        "sqlite://", retention_interval_s=123, credential_reminder_interval_s=456, check_in_interval_s=78
    )
    schedule = {entry["task"]: entry["schedule"] for entry in beat_schedule(settings).values()}
    assert schedule == {
        Task.SWEEP: settings.sweep_interval_s,
        Task.WEBHOOK_SWEEP: settings.sweep_interval_s,
        Task.PURGE_POSITIONS: 123,
        Task.RECORD_DENSITY: settings.density_interval_s,
        Task.CREDENTIAL_REMINDERS: 456,
        Task.CHECK_INS: 78,
        Task.PURGE_CHECK_INS: 123,
    }
    assert make_celery(settings).conf.beat_schedule == beat_schedule(settings)
