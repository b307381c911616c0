"""Migration 0013: each Web Push subscription becomes a `webpush` device, on SQLite and PostgreSQL;
going back keeps each responder's newest Web Push device."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from alerting.store.db import async_url
from alerting.store.migrate import alembic_config, upgrade
from tests.support.stack import create_pg_database, drop_pg_database

KEYS = {"p256dh": "B" * 87, "auth": "A" * 22}


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}"
        return
    url, name = await create_pg_database()
    yield url
    await drop_pg_database(name)


async def _run(url: str, sql: str, *args) -> list:
    """Plain SQL through the driver the project uses (asyncpg or aiosqlite), outside the models."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            result = await conn.execute(sa.text(sql), *args)
            return list(result.mappings()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_subscriptions_become_webpush_devices_and_come_back(database_url):
    await asyncio.to_thread(upgrade, database_url, "0012_decline_reason")
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await _run(
        database_url,
        "INSERT INTO trusts (id, name, area, settings, created_at) VALUES ('t1', 'T', :area, :settings, :at)",
        {"area": json.dumps({"type": "Polygon", "coordinates": []}), "settings": "{}", "at": at},
    )
    await _run(
        database_url,
        "INSERT INTO push_subscriptions (trust_id, responder_id, endpoint, keys, created_at) "
        "VALUES ('t1', 'r1', 'https://push.example/r1', :keys, :at)",
        {"keys": json.dumps(KEYS), "at": at},
    )
    await asyncio.to_thread(upgrade, database_url, "0013_push_devices")
    rows = await _run(database_url, "SELECT trust_id, responder_id, kind, address, target FROM push_devices")
    assert len(rows) == 1
    row = rows[0]
    target = row["target"] if isinstance(row["target"], dict) else json.loads(row["target"])
    assert (row["trust_id"], row["responder_id"], row["kind"]) == ("t1", "r1", "webpush")
    assert target == {"endpoint": "https://push.example/r1", "keys": KEYS} and len(row["address"]) == 64

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0012_decline_reason")
    back = await _run(database_url, "SELECT responder_id, endpoint FROM push_subscriptions")
    assert [(r["responder_id"], r["endpoint"]) for r in back] == [("r1", "https://push.example/r1")]
