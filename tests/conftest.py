"""Session fixtures: this run's own PostgreSQL database and Redis prefix, the app and a worker; and
CAD webhook receivers for the tests that follow what a CAD is told."""

from __future__ import annotations

import asyncio

import pytest

from dispatch_adapter.receiver import WebhookReceiver
from tests.support.redis_cluster import RedisClusterOnLoopback
from tests.support.stack import Stack, Worker, create_pg_database, drop_pg_database, free_port, make_settings, migrate


@pytest.fixture(scope="session")
async def pg_url():
    url, name = await create_pg_database()
    await asyncio.to_thread(migrate, url)
    yield url
    await drop_pg_database(name)


@pytest.fixture(scope="session")
async def stack(pg_url):
    """The deployment most integration tests share: PostgreSQL, real Redis, real worker."""
    settings = make_settings(pg_url)
    s = Stack(settings, free_port(), Worker(settings))
    await s.start()
    yield s
    await s.stop()


@pytest.fixture(scope="session")
async def sqlite_stack(tmp_path_factory):
    """The same deployment on the SQLite default."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'alerting.db'}"
    await asyncio.to_thread(migrate, url)
    settings = make_settings(url)
    s = Stack(settings, free_port(), Worker(settings))
    await s.start()
    yield s
    await s.stop()


@pytest.fixture(scope="session")
async def redis_cluster():
    """Three Redis masters on loopback, joined into a cluster: this run's own, removed after it."""
    cluster = RedisClusterOnLoopback()
    await asyncio.to_thread(cluster.start)
    yield cluster
    await asyncio.to_thread(cluster.stop)


@pytest.fixture(params=["stack", "sqlite_stack"])
def any_stack(request):
    """The same test on PostgreSQL and on the SQLite default."""
    return request.getfixturevalue(request.param)


@pytest.fixture
async def receiver_factory():
    """Makes CAD webhook receivers checking signatures with the given keys; stops them after the test."""
    made: list[WebhookReceiver] = []

    async def make(keys, respond=None) -> WebhookReceiver:
        r = WebhookReceiver(keys=keys, respond=respond)
        await r.start()
        made.append(r)
        return r

    yield make
    for r in made:
        await r.stop()


@pytest.fixture
def receiver_for(receiver_factory):
    """Makes a CAD webhook receiver checking signatures with the trust's CAD key."""
    return lambda trust: receiver_factory([trust.cad_key])
