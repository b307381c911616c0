"""En route, through the public surface (real Redis, PostgreSQL and worker): an assigned
responder's position and live ETA on the incident, `responder.eta` webhooks at most once a minute
or when the expected arrival moves by 30 s, and tracking that stops on arrival, on stand-down and
with the positions' retention. Time is moved on the deployment's clock, never slept through."""

from __future__ import annotations

import asyncio
import time

import pytest

from alerting.services.context import Services
from alerting.services.retention import purge_positions
from dispatch_adapter.receiver import WebhookReceiver
from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of, online
from tests.support.stack import Stack, Worker, free_port, make_settings

POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 900, "delay_s": 0}],
    "accept_limit": 3,
    "alert_ttl_s": 900,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}
WALK_MPS, ROUTE_FACTOR = 1.6, 1.3  # the settings' defaults, which the ETA uses on foot


class Clock:
    """The API's clock, standing at `offset` seconds into the test until the test moves it. It
    starts in the past, so everything the test does happens before the worker's own (real) now
    and the worker delivers the webhooks as soon as they are due."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._start = time.time() - 700.0

    def __call__(self) -> float:
        return self._start + self.offset


@pytest.fixture(scope="module")
async def deployment(pg_url):
    """Positions are not rate-limited here: the test sends several within a real second."""
    settings = make_settings(pg_url, location_rate_per_s=1000.0, location_burst=1000)
    s = Stack(settings, free_port(), Worker(settings))
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
def clock(deployment):
    services: Services = deployment.server.config.app.state.services
    original, services.clock = services.clock, Clock()
    yield services.clock
    services.clock = original


def eta_point(seconds: int) -> tuple[float, float]:
    """A point north of the scene whose ETA on foot is exactly `seconds`."""
    return north_of(CENTRE, seconds * WALK_MPS / ROUTE_FACTOR - 0.05)


async def at(sock, seconds: int) -> None:
    lat, lon = eta_point(seconds)
    await sock.send(type="location", lat=lat, lon=lon, accuracy_m=5)
    await sock.roundtrip()  # handled, and any report it made committed


async def eta_reports(trust, incident_id) -> list[tuple[str, int]]:
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    return [(t["responder"], t["eta_s"]) for t in view["timeline"] if t["event"] == "cad.responder.eta"]


async def test_eta_webhooks_are_rate_limited_and_tracking_stops_on_arrival_and_stand_down(deployment, clock):
    stack = deployment
    trust = await make_trust(stack, policy=POLICY)
    for rid in ("amy", "ben", "cal"):
        await trust.responder(rid, ["staff"])
    socks = {
        "amy": await online(stack, trust, "amy", eta_point(300)),
        "ben": await online(stack, trust, "ben", eta_point(400)),
        "cal": await online(stack, trust, "cal", eta_point(500)),
    }
    amy, ben, cal = socks["amy"], socks["ben"], socks["cal"]
    hook = WebhookReceiver(keys=[trust.cad_key])
    await hook.start()
    try:
        body = {"cad_ref": "ER-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "callback_url": hook.url}
        incident = (await trust.cad.post("/v1/incidents", json=body)).json()
        iid = incident["id"]
        alerts = {rid: (await s.next("alert", incident_id=iid))["alert_id"] for rid, s in socks.items()}
        for rid in ("amy", "ben"):
            await socks[rid].send(type="accept", alert_id=alerts[rid])
            await socks[rid].next("assigned", alert_id=alerts[rid])

        await at(amy, 300)  # the first position after accepting is reported
        await at(cal, 480)  # alerted, not assigned: never tracked
        assert await eta_reports(trust, iid) == [("amy", 300)]
        view = (await trust.cad.get(f"/v1/incidents/{iid}")).json()
        by_id = {r["id"]: r for r in view["responders"]}
        assert by_id["amy"]["eta_s"] == 300 and by_id["amy"]["position"]["lat"] == pytest.approx(eta_point(300)[0])
        assert by_id["cal"]["position"] is None and by_id["ben"]["position"] is not None

        clock.offset = 20
        await at(amy, 280)  # walking as expected: nothing new to say
        clock.offset = 40
        await at(amy, 260)
        assert await eta_reports(trust, iid) == [("amy", 300)]
        clock.offset = 45
        await at(amy, 300)  # turned back: expected 45 s later than last said, reported at once
        clock.offset = 60
        await at(amy, 285)
        clock.offset = 104
        await at(amy, 241)  # 59 s after the last report, on course
        assert await eta_reports(trust, iid) == [("amy", 300), ("amy", 300)]
        clock.offset = 106
        await at(amy, 239)  # a minute since the last report
        assert await eta_reports(trust, iid) == [("amy", 300), ("amy", 300), ("amy", 239)]
        view = (await trust.cad.get(f"/v1/incidents/{iid}")).json()
        assert {r["id"]: r["eta_s"] for r in view["responders"]}["amy"] == 239

        # The positions follow the live index's retention: purged, the incident shows none.
        services: Services = stack.server.config.app.state.services
        clock.offset = 200
        assert await purge_positions(services, retention_s=60) >= 1
        view = (await trust.cad.get(f"/v1/incidents/{iid}")).json()
        assert all(r["position"] is None for r in view["responders"])
        assert {r["id"]: r["eta_s"] for r in view["responders"]}["amy"] is not None  # from the alert's distance

        # Arrival ends amy's tracking: positions after it are neither shown nor reported.
        await amy.send(type="arrived", alert_id=alerts["amy"])
        await amy.roundtrip()
        clock.offset = 400
        await at(amy, 5)
        view = (await trust.cad.get(f"/v1/incidents/{iid}")).json()
        assert {r["id"]: r["position"] for r in view["responders"]}["amy"] is None

        # Ben is reported once; the incident cancelled, he is stood down and tracked no more.
        await at(ben, 200)
        r = await trust.cad.post(f"/v1/incidents/{iid}/cancel", json={"reason": "crew on scene"})
        assert r.status_code == 200
        await ben.next("stand_down", alert_id=alerts["ben"])
        clock.offset = 600
        await at(ben, 100)
        expected = [("amy", 300), ("amy", 300), ("amy", 239), ("ben", 200)]
        assert await eta_reports(trust, iid) == expected

        # The CAD receives exactly these, in order, before the stand-down that followed them.
        await hook.wait_for(lambda h: any(e["event"] == "incident.stood_down" for e in h.events), timeout=30)
        etas = [e for e in hook.events if e["event"] == "responder.eta"]
        assert [(e["responder"]["id"], e["eta_s"]) for e in etas] == expected
        assert etas[0]["distance_m"] == pytest.approx(300 * WALK_MPS / ROUTE_FACTOR, abs=1)
        assert all("lat" not in e and "lat" not in e["responder"] for e in etas)  # no position leaves in a webhook
    finally:
        await hook.stop()
        for s in socks.values():
            await s.close()
        await trust.close()


async def test_a_tracking_hint_lost_with_redis_comes_back_when_the_app_reconnects(deployment, clock):
    stack = deployment
    services: Services = stack.server.config.app.state.services
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", eta_point(300))
    try:
        body = {"cad_ref": "ER-2", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        iid = (await trust.cad.post("/v1/incidents", json=body)).json()["id"]
        alert = (await amy.next("alert", incident_id=iid))["alert_id"]
        await amy.send(type="accept", alert_id=alert)
        await amy.next("assigned", alert_id=alert)
        await at(amy, 300)
        assert await eta_reports(trust, iid) == [("amy", 300)]

        await services.redis.delete(
            *[k async for k in services.redis.scan_iter(match=f"{stack.settings.redis_prefix}*:track:amy")]
        )
        clock.offset = 100
        await at(amy, 200)  # Redis forgot she is on her way: nothing is reported meanwhile
        assert await eta_reports(trust, iid) == [("amy", 300)]
        await amy.close()
        amy = await ResponderSocket.connect(stack.ws_url, trust.tokens["amy"])  # ready: her accepted alert
        clock.offset = 110
        await at(amy, 190)
        assert await eta_reports(trust, iid) == [("amy", 300), ("amy", 190)]
        view = (await trust.cad.get(f"/v1/incidents/{iid}")).json()
        assert view["responders"][0]["position"] is not None and view["responders"][0]["eta_s"] == 190
    finally:
        await amy.close()
        await trust.close()


async def test_of_two_processes_reading_the_same_last_report_one_reports(deployment):
    tracking = deployment.server.config.app.state.services.tracking
    await tracking.track("trust-x", "amy", "incident-1")
    hint = (await tracking.lookup_many("trust-x", ["amy", "ben"]))["amy"]
    assert hint.incident_id == "incident-1" and hint.last is None
    won = await asyncio.gather(*(tracking.claim_report("trust-x", "amy", hint, now=100.0, eta_s=60) for _ in range(2)))
    assert sorted(won) == [False, True]
    assert (await tracking.lookup_many("trust-x", ["amy"]))["amy"].last == (100.0, 60.0)
    await tracking.track("trust-x", "amy", "incident-1")  # again (a reconnect): the last report stays
    assert (await tracking.lookup_many("trust-x", ["amy"]))["amy"].last == (100.0, 60.0)
    await tracking.untrack("trust-x", "amy", "incident-2")  # another incident's stand-down leaves it
    assert "amy" in await tracking.lookup_many("trust-x", ["amy"])
    await tracking.untrack("trust-x", "amy", "incident-1")
    assert await tracking.lookup_many("trust-x", ["amy"]) == {}
