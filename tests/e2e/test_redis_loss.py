"""Redis killed with SIGKILL and brought back without its data, under a live deployment: the worker
survives or is restarted, the API process writes its sockets' positions back, and a phase that fell
due during the outage alerts the connected responders instead of finding nobody."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.procs_faults import RedisServer, children_of, until
from tests.support.stack import (
    Stack,
    Worker,
    create_pg_database,
    drop_pg_database,
    free_port,
    make_settings,
    migrate,
)

pytestmark = pytest.mark.e2e

PHASE_DELAY_S = 3
POLICY = {
    "phases": [  # phase 0 alerts nobody (no community responders); the staff phase falls due in the outage
        {"name": "community", "groups": ["community"], "radius_m": 200, "delay_s": 0},
        {"name": "staff", "groups": ["staff"], "radius_m": 1000, "delay_s": PHASE_DELAY_S},
    ],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}
INCIDENT = {"lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}


@pytest.fixture
async def own_database():
    """A database of this test's own: the session's other deployments sweep the shared one, and a
    worker on another Redis would fire this incident's phase against its own (empty) index."""
    url, name = await create_pg_database()
    await asyncio.to_thread(migrate, url)
    yield url
    await drop_pg_database(name)


async def test_redis_lost_a_phase_due_meanwhile_alerts_the_connected_responders(own_database, tmp_path):
    redis = RedisServer(tmp_path / "redis")
    await redis.start()
    settings = make_settings(own_database).model_copy(update={"redis_url": redis.url})
    stack = Stack(settings, free_port(), Worker(settings, supervised=True))
    try:
        await stack.start()
        trust = await make_trust(stack, policy=POLICY)
        socks = {}
        for rid, metres in (("r1", 20), ("r2", 40), ("r3", 60)):
            await trust.responder(rid, ["staff"])
            socks[rid] = await online(stack, trust, rid, north_of(CENTRE, metres))
        nearby = {"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 500}
        assert (await trust.cad.get("/v1/nearby", params=nearby)).json()["by_group"] == {"staff": 3}

        async def worker_running() -> bool:  # the supervisor's one child: the Celery worker
            return len(children_of(stack.worker.proc.pid)) == 1

        async def phase_overdue() -> bool:
            return time.time() > due + 1

        await until(worker_running, what="the supervised worker")

        created = (await trust.cad.post("/v1/incidents", json={"cad_ref": "LOST-1", **INCIDENT})).json()
        assert created["alerted"] == 0 and created["status"] == "alerting"
        due = time.time() + PHASE_DELAY_S

        redis.kill()
        redis.directory = tmp_path / "redis-empty"  # comes back with nothing: every position is gone
        await until(phase_overdue, what="the staff phase falling due during the outage")
        await redis.start()

        first = await trust.cad.get("/v1/nearby", params=nearby)  # the first request after Redis returns
        assert first.status_code == 200, first.text

        for rid, sock in socks.items():
            alert = await sock.next("alert", timeout=30, incident_id=created["id"])
            assert alert["alert_id"], rid
        status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
        assert status["status"] == "alerting", status
        assert sorted(r["id"] for r in status["responders"]) == ["r1", "r2", "r3"]
        assert (await trust.cad.get("/v1/nearby", params=nearby)).json()["by_group"] == {"staff": 3}

        assert stack.worker.proc.poll() is None, "the supervisor gave up"
        await until(worker_running, what="a worker running (the same, or started again)")
        for s in socks.values():
            await s.close()
        await trust.close()
    finally:
        try:
            await stack.stop()
        finally:
            redis.kill()
