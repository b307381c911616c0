"""Beyond one machine: two API processes and a worker on a Redis Cluster of three masters, with
Celery on RabbitMQ. A CAD posts to one node; the responder's socket on the other gets the alert
(by sharded pub/sub, from the one shard owning their channel), their accept is answered, the
worker fires the next phase, and the CAD's webhook is delivered."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import RedisCluster

from dispatch_adapter.receiver import WebhookReceiver
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.processes import Deployment
from tests.support.stack import TEST_BROKER_URL, drop_broker_queue, make_settings

pytestmark = pytest.mark.e2e

POLICY = {
    "phases": [
        {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "community", "groups": ["staff", "community"], "radius_m": 1000, "delay_s": 2},
    ],
    "accept_limit": 2,  # one accept leaves the incident alerting, so the second phase still fires
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}


@pytest.fixture(scope="module")
async def on_cluster(pg_url, redis_cluster):
    settings = make_settings(pg_url, redis_url=redis_cluster.url, redis_cluster=True, broker_url=TEST_BROKER_URL)
    dep = Deployment.create(settings, nodes=2)
    try:
        await asyncio.to_thread(dep.start)
        yield dep
    finally:
        await asyncio.to_thread(dep.stop)
        await asyncio.to_thread(drop_broker_queue, settings)


async def test_an_incident_posted_to_one_node_alerts_a_responder_on_the_other(on_cluster, redis_cluster):
    node_a, node_b = on_cluster.nodes
    trust = await make_trust(on_cluster, policy=POLICY)
    await trust.responder("amy", ["staff"])
    await trust.responder("bob", ["community"])
    receiver = WebhookReceiver(keys=[trust.cad_key])
    await receiver.start()
    cluster = RedisCluster.from_url(redis_cluster.url)
    sockets = []
    try:
        amy = await ResponderOn.online(node_b, trust, "amy", north_of(CENTRE, 50))
        bob = await ResponderOn.online(node_a, trust, "bob", north_of(CENTRE, 600))
        sockets += [amy, bob]

        # Amy's channel is subscribed on the one master that owns its slot, and on no other.
        await cluster.initialize()
        channel = f"{on_cluster.settings.redis_prefix}{{t:{trust.id}}}:r:amy"
        owner = cluster.get_node_from_key(channel)
        held = {
            node.name: (await cluster.execute_command("PUBSUB SHARDNUMSUB", channel, target_nodes=node))[0][1]
            for node in cluster.get_primaries()
        }
        assert held == {node.name: int(node.name == owner.name) for node in cluster.get_primaries()}

        async with node_a.client(trust.cad_key) as cad:
            r = await cad.post(
                "/v1/incidents",
                json={
                    "cad_ref": "CL-1",
                    "lat": CENTRE[0],
                    "lon": CENTRE[1],
                    "category": "09-E-01",
                    "location_type": "public",
                    "callback_url": receiver.url,
                },
            )
        assert r.status_code == 201, r.text
        incident_id = r.json()["id"]

        alert = await amy.sock.next("alert", incident_id=incident_id)  # posted on A, held by B
        await amy.sock.send(type="accept", alert_id=alert["alert_id"])
        await amy.sock.next("assigned", alert_id=alert["alert_id"])  # the referee's answer, on the cluster

        # The second phase is the worker's (a wake task, on RabbitMQ): Bob is beyond the first's
        # radius and outside its group.
        later = await bob.sock.next("alert", incident_id=incident_id, timeout=30)
        assert later["alert_id"] != alert["alert_id"]

        await receiver.wait_for(
            lambda rc: {"incident.alerting", "responder.accepted"} <= {e["event"] for e in rc.events}, timeout=30
        )
        assert all(a.verified for a in receiver.attempts)
        accepted = next(e for e in receiver.events if e["event"] == "responder.accepted")
        assert accepted["incident_id"] == incident_id and accepted["responder"]["id"] == "amy"

        async with node_b.client() as ops:  # readiness asks the cluster; queue depth asks RabbitMQ
            assert (await ops.get("/readyz")).json()["redis"] == "ok"
            metrics = await ops.get("/metrics")
        assert metrics.status_code == 200 and "alerting_queue_depth " in metrics.text
    finally:
        for s in sockets:
            await s.sock.close()
        await cluster.aclose()
        await receiver.stop()
        await trust.close()


class ResponderOn:
    """A responder app connected to one node, located and available."""

    def __init__(self, sock):
        self.sock = sock

    @classmethod
    async def online(cls, node, trust, rid: str, at: tuple[float, float]) -> ResponderOn:
        from tests.support.clients import ResponderSocket

        sock = await ResponderSocket.connect(node.ws_url, trust.tokens[rid])
        await sock.send(type="location", lat=at[0], lon=at[1], accuracy_m=5)
        await sock.send(type="availability", available=True)
        await sock.roundtrip()
        return cls(sock)
