"""Several API processes form one deployment: Redis carries each alert to whichever node holds the socket."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of

pytestmark = pytest.mark.e2e


async def online(url: str, token: str, at: tuple[float, float]) -> ResponderSocket:
    sock = await ResponderSocket.connect(url, token)
    await sock.send(type="location", lat=at[0], lon=at[1], accuracy_m=5)
    await sock.send(type="availability", available=True)
    await sock.roundtrip()
    return sock


async def post_incident(node, trust, cad_ref: str) -> str:
    async with node.client(trust.cad_key) as cad:
        r = await cad.post(
            "/v1/incidents",
            json={
                "cad_ref": cad_ref,
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": "09-E-01",
                "location_type": "public",
            },
        )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_alerts_cross_nodes_and_survive_a_node_crash(two_nodes):
    n0, n1 = two_nodes.nodes
    trust = await make_trust(
        two_nodes,
        policy={
            "phases": [{"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0}],
            "accept_limit": 2,
            "alert_ttl_s": 600,
            "categories": ["09-*"],
        },
    )
    for rid in ("on-n0", "on-n1", "on-both"):
        await trust.responder(rid, ["staff"])
    a = await online(n0.ws_url, trust.tokens["on-n0"], north_of(CENTRE, 50))
    b = await online(n1.ws_url, trust.tokens["on-n1"], north_of(CENTRE, 80))
    both_0 = await online(n0.ws_url, trust.tokens["on-both"], north_of(CENTRE, 120))
    both_1 = await ResponderSocket.connect(n1.ws_url, trust.tokens["on-both"])

    first = await post_incident(n1, trust, "X-1")
    second = await post_incident(n0, trust, "X-2")

    for incident_id in (first, second):
        for sock in (a, b, both_0, both_1):
            alert = await sock.next("alert", incident_id=incident_id)
            assert alert["category"] == "09-E-01"

    # Node 0 crashes: its sockets drop; they reconnect to node 1 and find every open alert pending.
    expected = {first, second}
    await asyncio.to_thread(n0.kill)
    for sock in (a, both_0):
        await asyncio.wait_for(sock._reader, 10)
    again = await ResponderSocket.connect(n1.ws_url, trust.tokens["on-n0"])
    assert {p["incident_id"] for p in again.ready["pending"]} == expected

    # And the surviving node keeps alerting them.
    third = await post_incident(n1, trust, "X-3")
    await again.next("alert", incident_id=third)
    await both_1.next("alert", incident_id=third)
    await b.next("alert", incident_id=third)

    for sock in (again, b, both_1):
        await sock.close()
    await trust.close()
    # Restart node 0 so later tests in this module have both again.
    await asyncio.to_thread(n0.start)
    await asyncio.to_thread(n0.wait_ready)


async def test_auth_missing_or_wrong_closes_with_a_reason(two_nodes):
    node = two_nodes.nodes[1]
    async with websockets.connect(node.ws_url + "?token=wrong") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4401 and "token" in closed.value.rcvd.reason

    # No token at all and no auth message: closed once ws_auth_timeout_s (1 s here) has passed.
    async with websockets.connect(node.ws_url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4401
