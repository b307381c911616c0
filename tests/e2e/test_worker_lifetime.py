"""The worker process and its children: what survives a crash of the worker, and its exit code when
the broker is lost under it."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from tests.support.procs_faults import alive, children_of, until
from tests.support.stack import Worker, make_settings

pytestmark = pytest.mark.e2e


async def test_worker_killed_with_sigkill_takes_its_beat_and_pool_with_it(pg_url):
    """Otherwise the embedded beat, re-parented to pid 1, keeps sending the sweep, and after a
    restart two beats send it."""
    worker = Worker(make_settings(pg_url))
    worker.start()
    try:
        children: set[int] = set()

        async def beat_and_pool_started() -> bool:
            children.update(children_of(worker.proc.pid))
            return len(children) >= 3  # --concurrency 2, and the beat

        await until(beat_and_pool_started, what="the worker's pool and beat starting")
        os.kill(worker.proc.pid, signal.SIGKILL)  # the main process only, as the OOM killer would
        await asyncio.to_thread(worker.proc.wait, 10)

        async def all_gone() -> bool:
            return not any(alive(pid) for pid in children)

        await until(all_gone, timeout=10, what="the beat and pool processes exiting with their worker")
    finally:
        worker.stop()
