"""Engines and sessions. Plain `sqlite:///` and `postgresql://` URLs get the async drivers we ship."""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10, pool_timeout_s: float = 60, **kwargs) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _serialise_sqlite_writes(engine)
        return engine
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size * 2, pool_timeout=pool_timeout_s, **kwargs
    )
    _ping_idle_connections(engine)
    return engine


PING_IF_IDLE_S = 1.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Pre-ping, but only connections idle for a while. `pool_pre_ping` pings at every checkout, and
    on asyncpg a ping is three round trips (BEGIN, ping, ROLLBACK): more than the query of a typical
    request. A connection handed back under a second ago is taken as alive; if it died in that
    second, its request fails once and SQLAlchemy's disconnect handling invalidates the whole pool,
    so the retry gets fresh connections."""

    @event.listens_for(engine.sync_engine.pool, "connect")
    def _connected(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    gone = (engine.dialect.loaded_dbapi.Error, OSError, TimeoutError)

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("returned_at", 0.0) < PING_IF_IDLE_S:
            return
        try:
            dbapi_connection.ping()
        except gone as exc:  # the pool drops this connection and checks out another
            raise DisconnectionError(f"idle database connection failed its ping: {type(exc).__name__}") from exc


def _serialise_sqlite_writes(engine: AsyncEngine) -> None:
    """SQLite has no row locks: BEGIN IMMEDIATE takes the write lock up front, so the read-decide-
    write of an incident cannot interleave with another process's (and WAL keeps readers going)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
