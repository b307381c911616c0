"""How every process reaches Redis: one server, or a Redis Cluster (`ALERTING_REDIS_CLUSTER`).

The rest of the code is written once for both. That works because everything that must be atomic
names keys of one trust only, and those share a cluster slot (the `{t:<trust>}` hash tag in
`keys.py` and `geo`): scripts, MULTI blocks and WATCH never span slots. Pipelines that do span
slots (a publish after commit touches several trusts' channels and global keys) are not
transactions, and the cluster client splits them by node and answers in order.

Two differences remain, handled here:
- A script queued on a cluster pipeline is sent by its text (EVAL) rather than its hash: the
  cluster pipeline cannot load a script the node lacks (after a restart, a failover or a new node)
  and would fail the whole batch with NOSCRIPT. A single Redis pipeline loads missing scripts
  itself, so it keeps EVALSHA.
- Pub/sub is sharded (SSUBSCRIBE/SPUBLISH, Redis 7), on a cluster and on a single server alike:
  see `bus.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterPipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from alerting.settings import Settings

LiveRedis: TypeAlias = Redis | RedisCluster
LivePipeline: TypeAlias = Pipeline | ClusterPipeline

# A pooled connection that Redis closed (it restarted) fails its next command; that command is sent
# again on a fresh connection rather than answered 503. Connections made by a URL retry nothing
# unless told to.
REDIS_RETRY: dict[str, Any] = {
    "retry": Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.5), retries=3),
    "retry_on_error": [RedisConnectionError, RedisTimeoutError],
}


def connect(settings: Settings) -> LiveRedis:
    """The process's client: `redis_url` is the server, or on a cluster any one node of it."""
    if settings.redis_cluster:
        return RedisCluster.from_url(settings.redis_url, **REDIS_RETRY)
    return Redis.from_url(settings.redis_url, **REDIS_RETRY)


async def ready(redis: LiveRedis) -> None:
    """A cluster client learns its nodes and slots at the first command; pub/sub needs them before
    it has sent one (to pick the node owning a channel), so a process asks for them at start."""
    if isinstance(redis, RedisCluster):
        await redis.initialize()


async def script_in(
    pipe: LivePipeline, script: AsyncScript, *, keys: Sequence[str], args: Sequence[str | int | float]
) -> None:
    """Queue `script` on `pipe` (no round trip until it executes), on a cluster by its text."""
    if isinstance(pipe, ClusterPipeline):
        text = script.script if isinstance(script.script, str) else bytes(script.script).decode()
        pipe.eval(text, len(keys), *keys, *args)
    else:
        await script(keys=keys, args=args, client=pipe)
