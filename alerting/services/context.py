"""What every service needs, built once per process by the composition root (app.py / worker.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from alerting.live.accept import AcceptReferee
from alerting.live.bus import Bus
from alerting.live.keys import Keys
from alerting.services.oidc import Providers
from alerting.settings import Settings
from geo.aeds import AedIndex
from geo.index import ResponderIndex

Scheduler = Callable[[str, float], None]  # (incident id, unix time to wake at)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    keys: Keys
    index: ResponderIndex
    aeds: AedIndex
    referee: AcceptReferee
    bus: Bus
    schedule_wake: Scheduler = lambda incident_id, at: None
    deliver_webhooks: Callable[[str], None] = lambda incident_id: None
    # (incident id, unix time, responders with no socket): push what is still unacknowledged then
    schedule_push: Callable[[str, float, list[str]], None] = lambda incident_id, at, no_socket: None
    clock: Callable[[], float] = time.time
    oidc: Providers = field(default_factory=Providers)  # identity providers' discovery and keys, cached
    extras: dict[str, Any] = field(default_factory=dict)

    async def aclose(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()


def build_services(settings: Settings, **overrides: Any) -> Services:
    from alerting.store.db import create_engine, session_factory

    engine = create_engine(
        settings.database_url, pool_size=settings.db_pool_size, pool_timeout_s=settings.db_pool_timeout_s
    )
    redis = Redis.from_url(settings.redis_url)
    keys = Keys(settings.redis_prefix)
    return Services(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        keys=keys,
        index=ResponderIndex(
            redis,
            prefix=settings.redis_prefix,
            bucket_s=settings.location_bucket_s,
            retention_s=settings.location_retention_s,
        ),
        aeds=AedIndex(redis, prefix=settings.redis_prefix),
        referee=AcceptReferee(redis, keys),
        bus=Bus(redis, keys),
        oidc=Providers(timeout_s=settings.sso_http_timeout_s),
        **overrides,
    )
