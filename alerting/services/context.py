"""What every service needs, built once per process by `build_services` (the API, the worker, the CLI)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from alerting.live.accept import AcceptReferee
from alerting.live.bus import Bus
from alerting.live.index_generation import IndexGeneration
from alerting.live.keys import Keys
from alerting.live.rate_limit import RateLimiter
from alerting.live.redis_client import LiveRedis, connect
from alerting.live.tracking import Tracking
from alerting.push.base import PushProviders
from alerting.services.credential_cache import CredentialCache
from alerting.services.location_ingest import LocationBatcher, LocationIngest, RateGate
from alerting.services.oidc import Providers
from alerting.services.policy_cache import PolicyVersionCache
from alerting.services.secret_box import SecretBox
from alerting.services.task_queue import TaskQueue, celery_app
from alerting.settings import Settings
from geo.aeds import AedIndex
from geo.index import ResponderIndex

if TYPE_CHECKING:
    from py_vapid import Vapid02

Clock = Callable[[], float]  # unix seconds; tests may replace it to move time


@dataclass
class Services:
    """Every collaborator a service, an edge or a task uses, built by `build_services` alone."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: LiveRedis  # one Redis, or a Redis Cluster (alerting/live/redis_client.py)
    keys: Keys
    index: ResponderIndex
    aeds: AedIndex
    referee: AcceptReferee
    bus: Bus
    tracking: Tracking  # who is on their way to an incident, and when the CAD last heard their ETA
    generation: IndexGeneration  # whether the live index is whole or being rebuilt after a loss
    tasks: TaskQueue  # phase timers, webhook delivery and push checks, run by the worker
    rate_limiter: RateLimiter  # per-credential token buckets shared by every API process
    locations: LocationIngest  # this process's location rate gate and batcher
    secret_box: SecretBox  # decrypts the CAD keys webhooks are signed with, and SSO client secrets
    vapid: Vapid02  # the Web Push key pair clients subscribe with
    push: PushProviders  # a provider per kind of device: Web Push, and FCM and APNs where configured
    oidc: Providers  # identity providers' discovery and keys, cached
    operator_hash: str | None  # the hash of ALERTING_OPERATOR_TOKEN; unset, the operator is a stored credential
    credentials: CredentialCache  # who a token belongs to, for a few seconds (API processes start it)
    policies: PolicyVersionCache  # each trust's newest policy version (API processes start it)

    async def aclose(self) -> None:
        self.tasks.close()
        await self.push.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


def build_services(settings: Settings) -> Services:
    """The one place a process's services are made: an API process and a worker build the same."""
    from alerting.push.configured import push_providers
    from alerting.push.vapid import load_or_create
    from alerting.services.auth import token_hash
    from alerting.services.secret_box import load_key
    from alerting.store.db import create_engine, session_factory

    engine = create_engine(
        settings.database_url, pool_size=settings.db_pool_size, pool_timeout_s=settings.db_pool_timeout_s
    )
    redis = connect(settings)
    keys = Keys(settings.redis_prefix)
    index = ResponderIndex(
        redis,
        prefix=settings.redis_prefix,
        bucket_s=settings.location_bucket_s,
        retention_s=settings.position_retention_s,
    )
    vapid = load_or_create(settings)  # generated into var/ on first start in development
    tracking = Tracking(redis, keys)
    return Services(
        settings=settings,
        clock=time.time,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        keys=keys,
        index=index,
        aeds=AedIndex(redis, prefix=settings.redis_prefix),
        referee=AcceptReferee(redis, keys),
        bus=Bus(redis, keys),
        tracking=tracking,
        generation=IndexGeneration(
            redis,
            keys,
            heartbeat_s=settings.index_heartbeat_s,
            max_wait_s=settings.index_rebuild_max_wait_s,
        ),
        tasks=TaskQueue(celery_app(settings), batch_window_s=settings.task_batch_window_s),
        rate_limiter=RateLimiter(redis, keys),
        locations=LocationIngest(
            RateGate(settings.location_rate_per_s, settings.location_burst),
            LocationBatcher(index, max_batch=settings.location_batch_max, lookup=tracking.lookup_many),
        ),
        secret_box=SecretBox(load_key(settings)),
        vapid=vapid,
        push=push_providers(settings, vapid),
        oidc=Providers(timeout_s=settings.sso_http_timeout_s),
        operator_hash=token_hash(settings.operator_token) if settings.operator_token else None,
        credentials=CredentialCache(redis, keys.credentials_channel(), ttl_s=settings.credential_cache_s),
        policies=PolicyVersionCache(redis, keys.policies_channel()),
    )
