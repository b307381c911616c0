"""Pooled PostgreSQL connections are pinged only after sitting idle, and a dead one is replaced
transparently; a connection used moments ago is trusted (its request fails once if it died)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from alerting.store import db
from tests.support.procs_faults import TcpProxy


@pytest.fixture
async def proxied_engine(pg_url):
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    engine = db.create_engine(pg_url.replace(host_port, f"127.0.0.1:{proxy.port}"), pool_size=1)
    yield engine, proxy
    await engine.dispose()
    await proxy.cut()


async def _one(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("select 1"))).scalar_one()


async def test_an_idle_connection_that_died_is_replaced_before_use(proxied_engine, monkeypatch):
    engine, proxy = proxied_engine
    assert await _one(engine) == 1
    await proxy.cut()  # the pooled connection dies while idle
    await proxy.restore()
    monkeypatch.setattr(db, "PING_IF_IDLE_S", 0.0)  # every checkout counts as idle
    assert await _one(engine) == 1  # pinged, found dead, replaced: the caller never sees it


async def test_a_connection_returned_moments_ago_is_not_pinged(proxied_engine, monkeypatch):
    engine, proxy = proxied_engine
    assert await _one(engine) == 1
    await proxy.cut()
    await proxy.restore()
    monkeypatch.setattr(db, "PING_IF_IDLE_S", 3600.0)  # nothing counts as idle
    with pytest.raises(DBAPIError):
        await _one(engine)  # the dead connection is used as is and fails this request once ...
    assert await _one(engine) == 1  # ... and the disconnect replaced it for the next
