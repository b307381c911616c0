"""Deployments of real processes for the end-to-end tests."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.processes import Deployment
from tests.support.stack import make_settings


@pytest.fixture(scope="module")
async def two_nodes(pg_url):
    """Two API processes and a worker on loopback, with fast server pings and a small send queue."""
    dep = Deployment.create(make_settings(pg_url), nodes=2, extra_env={
        "ALERTING_WS_PING_INTERVAL_S": "1", "ALERTING_WS_AUTH_TIMEOUT_S": "1", "ALERTING_WS_SEND_QUEUE": "8", "ALERTING_PUSH_ALLOW_HTTP": "1"})
    await asyncio.to_thread(dep.start)
    yield dep
    await asyncio.to_thread(dep.stop)
