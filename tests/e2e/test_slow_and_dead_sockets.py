"""One slow or dead client never holds up the others, and the server lets go of it."""

from __future__ import annotations

import asyncio
import json
import re
import socket

import pytest
import websockets
from redis.asyncio import Redis

from tests.e2e.test_multi_node import online, post_incident
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.processes import ApiNode

pytestmark = pytest.mark.e2e
POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0}],
    "accept_limit": 2,
    "alert_ttl_s": 600,
    "categories": ["09-*"],
}


async def open_sockets(node) -> float:
    async with node.client() as c:
        text = (await c.get("/metrics")).text
    return float(re.search(r"^alerting_sockets_open (\S+)$", text, re.M).group(1))


async def wait_for_sockets(node, expected: float, timeout: float = 10) -> None:
    async def poll() -> None:
        while await open_sockets(node) != expected:
            await asyncio.sleep(0.05)  # polling another process's gauge: no event crosses the process edge

    await asyncio.wait_for(poll(), timeout)


async def stalled(url: str, token: str) -> websockets.ClientConnection:
    """A client whose app froze: connected and signed in, then never reads again (no pongs either)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((url.split("//")[1].split(":")[0], int(url.split(":")[2].split("/")[0])))
    ws = await websockets.connect(f"{url}?token={token}", sock=sock, ping_interval=None, max_size=None)
    assert json.loads(await ws.recv())["type"] == "ready"
    ws.transport.pause_reading()
    return ws


@pytest.fixture(scope="module")
async def unhurried_node(two_nodes):
    """A third node of the same deployment whose pings are too rare to drop anyone during a test, so
    only the send queue (8 frames) can close the slow client."""
    node = ApiNode(
        two_nodes.settings, "unhurried", {"ALERTING_WS_PING_INTERVAL_S": "120", "ALERTING_WS_SEND_QUEUE": "8"}
    )
    node.start()
    await asyncio.to_thread(node.wait_ready)
    yield node
    await asyncio.to_thread(node.stop)


async def test_slow_consumer_is_closed_and_does_not_delay_others(two_nodes, unhurried_node):
    node = unhurried_node
    trust = await make_trust(two_nodes, policy=POLICY)
    await trust.responder("slow", ["staff"])
    await trust.responder("fast", ["staff"])
    before = await open_sockets(node)
    slow = await stalled(node.ws_url, trust.tokens["slow"])
    fast = await online(node.ws_url, trust.tokens["fast"], north_of(CENTRE, 30))
    await wait_for_sockets(node, before + 2)

    # Far more traffic for the slow client than its socket buffers and its send queue can hold
    # (published straight onto its bus channel, as a burst of large frames would arrive).
    channel = f"{two_nodes.settings.redis_prefix}{{t:{trust.id}}}:r:slow"
    blob = json.dumps({"type": "notice", "padding": "x" * 65_536})
    async with Redis.from_url(two_nodes.settings.redis_url) as redis:
        for _ in range(200):
            await redis.spublish(channel, blob)

    incident_id = await post_incident(node, trust, "SLOW-1")
    alert = await fast.next("alert", incident_id=incident_id)
    await fast.send(type="ack", alert_id=alert["alert_id"])
    await fast.roundtrip()
    async with node.client(trust.cad_key) as cad:
        status = (await cad.get(f"/v1/incidents/{incident_id}")).json()
    assert [r["delivered_at"] is not None for r in status["responders"] if r["id"] == "fast"] == [True]
    assert {"event": "alert.delivered", "responder": "fast"}.items() <= next(
        t for t in status["timeline"] if t["event"] == "alert.delivered"
    ).items()

    # The server dropped the slow socket rather than buffering for it without end.
    await wait_for_sockets(node, before + 1)
    async with node.client() as c:
        assert re.search(r'^alerting_ws_closed_total\{reason="too_slow"\} [1-9]', (await c.get("/metrics")).text, re.M)
    slow.transport.abort()
    await fast.close()
    await trust.close()


async def test_dead_socket_is_detected_by_server_pings(two_nodes):
    node = two_nodes.nodes[1]
    trust = await make_trust(two_nodes, policy=POLICY)
    await trust.responder("ghost", ["staff"])
    before = await open_sockets(node)
    ghost = await stalled(node.ws_url, trust.tokens["ghost"])
    await wait_for_sockets(node, before + 1)
    # Pings every 1 s here, each due back within 1 s: a peer that never answers is let go.
    await wait_for_sockets(node, before, timeout=10)
    ghost.transport.abort()
    await trust.close()
