"""The alerter's socket on one API process, the responder's on another and the raise on either:
Redis carries the help, the thread and the stand-down to whichever process holds the socket."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.alerters import alerter_policy, help_until, make_alerter
from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of
from tests.support.processes import Deployment
from tests.support.stack import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def two_nodes(pg_url):
    """Two API processes and a worker, positions not rate-limited: the responder's position on her
    way follows the one she came online with within a real second, which one a second would drop."""
    dep = Deployment.create(
        make_settings(pg_url),
        nodes=2,
        extra_env={"ALERTING_LOCATION_RATE_PER_S": "1000", "ALERTING_LOCATION_BURST": "1000"},
    )
    await asyncio.to_thread(dep.start)
    yield dep
    await asyncio.to_thread(dep.stop)


async def test_help_messages_and_the_stand_down_reach_the_alerter_on_another_node(two_nodes):
    n0, n1 = two_nodes.nodes
    trust = await make_trust(two_nodes, policy=alerter_policy())
    await trust.responder("amy", ["staff"])
    amy = await ResponderSocket.connect(n0.ws_url, trust.tokens["amy"])
    lat, lon = north_of(CENTRE, 150)
    await amy.send(type="location", lat=lat, lon=lon, accuracy_m=5)
    await amy.send(type="availability", available=True)
    await amy.roundtrip()
    token = await make_alerter(two_nodes, trust, "bea")
    bea = await ResponderSocket.connect(f"ws://127.0.0.1:{n1.port}/v1/alerters/ws", token)

    async with n0.client(token) as phone:
        r = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
    assert r.status_code == 201, r.text
    incident_id = r.json()["incident_id"]
    await help_until(bea, incident_id=incident_id, alerted=1)

    alert = await amy.next("alert", incident_id=incident_id)
    await amy.send(type="accept", alert_id=alert["alert_id"])
    assert (await help_until(bea, accepted=1))["nearest_m"] == 150
    lat, lon = north_of(CENTRE, 40)
    await amy.send(type="location", lat=lat, lon=lon, accuracy_m=5)
    await help_until(bea, nearest_m=40)

    await bea.send(type="message", text="Hurry please")
    assert (await amy.next("message", **{"from": "alerter"}))["text"] == "Hurry please"
    await amy.send(type="message", alert_id=alert["alert_id"], text="Round the corner")
    assert (await bea.next("message", **{"from": "responder"}))["text"] == "Round the corner"

    async with n0.client(trust.cad_key) as cad:
        assert (await cad.post(f"/v1/incidents/{incident_id}/close")).status_code in (200, 204)
    assert await bea.next("stand_down") == {"type": "stand_down", "incident_id": incident_id, "reason": "closed"}
    for sock in (amy, bea):
        await sock.close()


async def test_suspending_an_alerter_on_one_node_closes_their_sockets_on_every_node(two_nodes):
    n0, n1 = two_nodes.nodes
    trust = await make_trust(two_nodes, policy=alerter_policy(mode="confirm"))
    token = await make_alerter(two_nodes, trust, "cat")
    socks = [await ResponderSocket.connect(f"ws://127.0.0.1:{n.port}/v1/alerters/ws", token) for n in (n0, n1)]
    async with n0.client(trust.admin_key) as admin:
        r = await admin.patch(f"/v1/trusts/{trust.id}/alerters/cat", json={"suspended": True})
    assert r.status_code == 200 and r.json()["suspended"] is True, r.text
    for sock in socks:
        await asyncio.wait_for(sock._reader, 10)
        assert sock.ws.close_code == 4410 and "suspended" in sock.ws.close_reason
    async with n1.client(token) as phone:  # the other node refuses the token at once too
        refused = await phone.get("/v1/alerts/current")
    assert refused.status_code == 403 and refused.json()["code"] == "alerter_suspended"
