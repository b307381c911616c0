"""What every service needs, built once per process by the composition root (app.py / worker.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from alerting.live.accept import AcceptReferee
from alerting.live.bus import Bus
from alerting.live.index_generation import IndexGeneration
from alerting.live.keys import Keys
from alerting.services.oidc import Providers
from alerting.settings import Settings
from geo.aeds import AedIndex
from geo.index import ResponderIndex

# A pooled connection that Redis closed (it restarted) fails its next command; that command is sent
# again on a fresh connection rather than answered 503. Connections made by a URL retry nothing
# unless told to.
REDIS_RETRY: dict[str, Any] = {
    "retry": Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.5), retries=3),
    "retry_on_error": [RedisConnectionError, RedisTimeoutError],
}

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
    generation: IndexGeneration  # whether the live index is whole or being rebuilt after a loss
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
    redis = Redis.from_url(settings.redis_url, **REDIS_RETRY)
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
        generation=IndexGeneration(
            redis,
            settings.redis_prefix,
            heartbeat_s=settings.index_heartbeat_s,
            max_wait_s=settings.index_rebuild_max_wait_s,
        ),
        oidc=Providers(timeout_s=settings.sso_http_timeout_s),
        **overrides,
    )
