"""A Redis restart leaves every pooled connection dead: the next command on one must be sent again
on a fresh connection, not fail (which the API answers with 503)."""

from __future__ import annotations

from alerting.services.context import build_services
from tests.support.procs_faults import RedisServer
from tests.support.stack import make_settings


async def test_the_first_commands_after_a_redis_restart_succeed(pg_url, tmp_path):
    redis = RedisServer(tmp_path / "redis", appendonly=False)
    await redis.start()
    services = build_services(make_settings(pg_url).model_copy(update={"redis_url": redis.url}))
    try:
        await services.index.set_profile("t1", "r1", groups=["staff"], active=True, now=1.0)
        assert await services.redis.ping()
        # A search before the restart too: the connection searches are sent on dies with the rest.
        assert (
            await services.index.nearest(
                "t1", 53.8, -1.55, radius_m=500, groups=["staff"], limit=5, max_age_s=900, now=2.0
            )
            == []
        )
        redis.kill()
        await redis.start()  # empty, on the same port: the pooled connection is closed under the client
        assert (
            await services.index.counts_near("t1", 53.8, -1.55, radius_m=500, groups=["staff"], max_age_s=900, now=2.0)
            == {}
        )
        assert (
            await services.index.nearest(
                "t1", 53.8, -1.55, radius_m=500, groups=["staff"], limit=5, max_age_s=900, now=2.0
            )
            == []
        )
        assert await services.redis.ping()
    finally:
        await services.aclose()
        redis.kill()
