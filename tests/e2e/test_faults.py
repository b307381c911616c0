"""Faults with real processes on loopback: an API process killed under a socket, Redis restarted,
PostgreSQL cut off. (The worker killed between phases is tests/integration/test_timers.py.)"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.clients import CENTRE, TWO_PHASES, ResponderSocket, make_trust, north_of, online
from tests.support.procs_faults import ApiProcess, RedisServer, TcpProxy, until
from tests.support.stack import Stack, Worker, free_port, make_settings

pytestmark = pytest.mark.e2e

INCIDENT = {"lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}


async def accept_as_an_app_would(sock: ResponderSocket, alert_id: str, attempts: int = 10) -> dict:
    """Accept, and retry (as the app does) while the answer is `unavailable` or does not come: frames
    published while a node's pub/sub link was down are lost, so only a retry makes an accept certain.
    Accepts are idempotent, so a retry never wins a second slot."""
    for _ in range(attempts):
        await sock.send(type="accept", alert_id=alert_id)
        await sock.roundtrip()  # the direct answer (an error) is queued before the pong
        errors = [f for f in sock.taken("error") if f.get("alert_id") == alert_id]
        for f in errors:
            sock.frames.remove(f)
        if any(f["code"] == "unavailable" for f in errors):
            continue
        assert errors == [], errors
        for type_ in ("assigned", "stand_down"):
            found = [f for f in sock.frames if f["type"] == type_ and f.get("alert_id") == alert_id]
            if found:
                sock.frames.remove(found[0])
                return found[0]
        try:
            return await asyncio.wait_for(_first_answer(sock, alert_id), 3)
        except TimeoutError:
            continue
    raise AssertionError(f"accept of {alert_id} never answered")


async def _first_answer(sock: ResponderSocket, alert_id: str) -> dict:
    assigned = asyncio.create_task(sock.next("assigned", timeout=3, alert_id=alert_id))
    stood_down = asyncio.create_task(sock.next("stand_down", timeout=3, alert_id=alert_id))
    done, pending = await asyncio.wait({assigned, stood_down}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return next(iter(done)).result()


async def test_api_killed_under_a_socket_the_responder_reconnects_elsewhere_and_nothing_is_lost(pg_url):
    settings = make_settings(pg_url)
    one, two = ApiProcess(settings), ApiProcess(settings)
    await asyncio.gather(one.start(), two.start())
    try:
        trust = await make_trust(two)
        token = await trust.responder("r1", ["staff"])
        sock = await online(one, trust, "r1", north_of(CENTRE, 50))

        created = (await trust.cad.post("/v1/incidents", json={"cad_ref": "KILL-1", **INCIDENT})).json()
        alert = await sock.next("alert", incident_id=created["id"])  # posted on two, delivered by one
        await sock.send(type="accept", alert_id=alert["alert_id"])
        one.kill()  # the accept may or may not have been handled: the client cannot know
        with pytest.raises(AssertionError):
            await sock.next("assigned", timeout=10)  # the socket is gone, not silently waiting
        assert sock.ws.close_code in (None, 1006)

        again = await ResponderSocket.connect(two.ws_url, token)
        pending = [a for a in again.ready["pending"] if a["incident_id"] == created["id"]]
        assert [a["alert_id"] for a in pending] == [alert["alert_id"]]
        await again.send(type="accept", alert_id=alert["alert_id"])  # the retry is safe either way
        assigned = await again.next("assigned", alert_id=alert["alert_id"])
        assert assigned["role"] == "scene"
        status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
        assert status["status"] == "filled"
        assert [(r["id"], r["state"]) for r in status["responders"]] == [("r1", "accepted")]
        assert len([t for t in status["timeline"] if t["event"] == "cad.responder.accepted"]) == 1
        await again.close()
        await trust.close()
    finally:
        one.kill()
        two.stop()


@pytest.mark.parametrize("keeps_data", [True, False], ids=["aof-restart", "data-lost"])
async def test_redis_restart_open_incident_continues_and_no_accept_is_forgotten(pg_url, tmp_path, keeps_data):
    redis = RedisServer(tmp_path / "redis")
    await redis.start()
    settings = make_settings(pg_url).model_copy(update={"redis_url": redis.url})
    stack = Stack(settings, free_port(), Worker(settings))
    try:
        await stack.start()
        trust = await make_trust(stack, policy={**TWO_PHASES, "accept_limit": 2})
        socks = {}
        for rid, metres in (("r1", 20), ("r2", 40), ("r3", 60)):
            await trust.responder(rid, ["staff"])
            socks[rid] = await online(stack, trust, rid, north_of(CENTRE, metres))
        created = (await trust.cad.post("/v1/incidents", json={"cad_ref": "REDIS-1", **INCIDENT})).json()
        assert created["alerted"] == 3
        alerts = {rid: await s.next("alert", incident_id=created["id"]) for rid, s in socks.items()}
        await socks["r1"].send(type="accept", alert_id=alerts["r1"]["alert_id"])
        await socks["r1"].next("assigned", alert_id=alerts["r1"]["alert_id"])

        redis.kill()
        if not keeps_data:
            redis.directory = tmp_path / "redis-empty"  # comes back with nothing: the referee's state is gone
        await redis.start()

        async def answered_after_restart() -> bool:
            await socks["r2"].roundtrip()  # a socket (and the app's Redis) is usable again
            return True

        await until(answered_after_restart, what="the app talking to the restarted Redis")
        assert (await accept_as_an_app_would(socks["r2"], alerts["r2"]["alert_id"]))["type"] == "assigned"
        refused = await accept_as_an_app_would(socks["r3"], alerts["r3"]["alert_id"])
        assert refused["type"] == "stand_down" and refused["reason"] == "filled"
        again = await accept_as_an_app_would(socks["r1"], alerts["r1"]["alert_id"])
        assert again["type"] == "assigned"  # still a winner

        status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
        assert status["status"] == "filled"
        assert {r["id"]: r["state"] for r in status["responders"]} == {
            "r1": "accepted",
            "r2": "accepted",
            "r3": "stood_down",
        }
        for s in socks.values():
            await s.close()
        await trust.close()
    finally:
        try:
            await stack.stop()
        finally:
            redis.kill()


async def test_database_unreachable_cad_gets_503_then_its_retry_succeeds_once(pg_url):
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    proxied = pg_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    settings = make_settings(proxied, db_pool_timeout_s=2)
    stack = Stack(settings, free_port(), Worker(make_settings(pg_url)))
    await stack.start()
    try:
        trust = await make_trust(stack)
        await trust.responder("r1", ["staff"])
        sock = await online(stack, trust, "r1", north_of(CENTRE, 50))

        await proxy.cut()
        down = await trust.cad.post("/v1/incidents", json={"cad_ref": "PG-1", **INCIDENT})
        assert down.status_code == 503, down.text
        assert down.headers["content-type"].startswith("application/problem+json")
        assert int(down.headers["retry-after"]) > 0
        assert settings.database_url not in down.text and "postgres" not in down.text
        assert sock.taken("alert") == []

        await proxy.restore()
        retried = await trust.cad.post("/v1/incidents", json={"cad_ref": "PG-1", **INCIDENT})
        assert retried.status_code == 201, retried.text  # 201, not 200: the failed attempt wrote nothing
        assert retried.json()["alerted"] == 1
        again = await trust.cad.post("/v1/incidents", json={"cad_ref": "PG-1", **INCIDENT})
        assert again.status_code == 200 and again.json()["id"] == retried.json()["id"]
        await sock.next("alert", incident_id=retried.json()["id"])
        await sock.roundtrip()
        assert sock.taken("alert") == []  # one alert, once
        await sock.close()
        await trust.close()
    finally:
        await stack.stop()
        await proxy.cut()
