"""Web Push end to end: the worker pushes to an endpoint this test runs on loopback, which checks
the VAPID signature and decrypts the RFC 8291 aes128gcm payload back into the alert."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import http_ece
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from alerting.services.task_queue import Task
from alerting.worker import make_celery
from tests.e2e.test_multi_node import online
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.documents import PDF, form

pytestmark = pytest.mark.e2e


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class PushService:
    """A push service on loopback holding each subscriber's private key, as the browser would."""

    port: int = 0
    keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = field(default_factory=dict)
    received: dict[str, list[dict]] = field(default_factory=dict)
    headers: dict[str, list] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)  # answered 410, as a push service does for an unsubscribed browser
    refused: dict[str, int] = field(default_factory=dict)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/push/{who}", self._receive)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def subscription(self, who: str) -> dict:
        private = ec.generate_private_key(ec.SECP256R1())
        auth = bytes(range(16))
        self.keys[who] = (private, auth)
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"http://127.0.0.1:{self.port}/push/{who}",
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
        }

    async def _receive(self, request: web.Request) -> web.Response:
        who = request.match_info["who"]
        if who in self.gone:
            async with self.arrived:
                self.refused[who] = self.refused.get(who, 0) + 1
                self.arrived.notify_all()
            return web.Response(status=410)
        private, auth = self.keys[who]
        assert request.headers["Content-Encoding"] == "aes128gcm"
        plain = http_ece.decrypt(await request.read(), private_key=private, auth_secret=auth, version="aes128gcm")
        async with self.arrived:
            self.received.setdefault(who, []).append(json.loads(plain))
            self.headers.setdefault(who, []).append(request.headers.copy())
            self.arrived.notify_all()
        return web.Response(status=201)

    async def wait(self, who: str, timeout: float = 15) -> dict:
        async def first() -> dict:
            async with self.arrived:
                await self.arrived.wait_for(lambda: self.received.get(who))
                return self.received[who][0]

        return await asyncio.wait_for(first(), timeout)

    async def wait_until(self, condition, timeout: float = 15) -> None:
        async def met() -> None:
            async with self.arrived:
                await self.arrived.wait_for(condition)

        await asyncio.wait_for(met(), timeout)


@pytest.fixture
async def push_service():
    service = PushService()
    await service.start()
    yield service
    await service.runner.cleanup()


POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0}],
    "accept_limit": 3,
    "alert_ttl_s": 600,
    "categories": ["09-*"],
    "ack_timeout_s": 3,
}


async def test_push_reaches_responders_without_a_socket_or_an_ack(two_nodes, push_service):
    node = two_nodes.nodes[1]
    trust = await make_trust(two_nodes, policy=POLICY)
    for rid in ("pocket", "sleepy", "awake"):
        await trust.responder(rid, ["staff"])
        async with node.client(trust.tokens[rid]) as me:
            r = await me.put("/v1/me/push-subscription", json=push_service.subscription(rid))
            assert r.status_code == 204, r.text
    async with node.client(trust.tokens["pocket"]) as me:
        server_key = (await me.get("/v1/me/push-config")).json()["application_server_key"]
        at = north_of(CENTRE, 40)
        assert (await me.put("/v1/me/location", json={"lat": at[0], "lon": at[1]})).status_code == 204
    sleepy = await online(node.ws_url, trust.tokens["sleepy"], north_of(CENTRE, 60))
    awake = await online(node.ws_url, trust.tokens["awake"], north_of(CENTRE, 80))

    async with node.client(trust.cad_key) as cad:
        r = await cad.post(
            "/v1/incidents",
            json={
                "cad_ref": "PUSH-1",
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": "09-E-01",
                "location_type": "public",
                "address": "1 Park Row",
            },
        )
        assert r.status_code == 201 and r.json()["alerted"] == 3, r.text
        incident_id = r.json()["id"]
        alert = await awake.next("alert", incident_id=incident_id)
        await awake.send(type="ack", alert_id=alert["alert_id"])
        await sleepy.next("alert", incident_id=incident_id)  # received, but the app never acknowledges

        # No socket at all: pushed at once. Socket but no ack within 3 s: pushed as well.
        pushed = await push_service.wait("pocket")
        assert pushed["type"] == "alert" and pushed["incident_id"] == incident_id
        assert pushed["address"] == "1 Park Row" and 35 <= pushed["distance_m"] <= 45
        late = await push_service.wait("sleepy")
        assert late["incident_id"] == incident_id

        # Signed with the server's VAPID key (RFC 8292), which clients fetch from /v1/me/push-config.
        auth = push_service.headers["pocket"][0]["Authorization"]
        assert auth.startswith("vapid ") and f"k={server_key}" in auth and Vapid02.verify(auth)
        assert int(push_service.headers["pocket"][0]["TTL"]) > 500

        async def timeline() -> list[dict]:
            return (await cad.get(f"/v1/incidents/{incident_id}")).json()["timeline"]

        async def both_recorded() -> list[dict]:
            while True:
                pushed_to = {t["responder"] for t in await timeline() if t["event"] == "alert.pushed"}
                if {"pocket", "sleepy"} <= pushed_to:
                    return await timeline()
                await asyncio.sleep(0.1)  # polling another process's writes: no event crosses the edge

        entries = await asyncio.wait_for(both_recorded(), 15)
    # The acknowledged alert never went by push, and nobody got two.
    assert "awake" not in push_service.received
    assert sorted(t["responder"] for t in entries if t["event"] == "alert.pushed") == ["pocket", "sleepy"]
    assert {k: len(v) for k, v in push_service.received.items()} == {"pocket": 1, "sleepy": 1}
    await sleepy.close()
    await awake.close()
    await trust.close()


async def test_push_subscription_is_validated(two_nodes):
    trust = await make_trust(two_nodes, policy=POLICY)
    await trust.responder("r", ["staff"])
    async with two_nodes.client(trust.tokens["r"]) as me:
        r = await me.put("/v1/me/push-subscription", json={"endpoint": "https://push.example/x", "keys": {"auth": "x"}})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        r = await me.put(
            "/v1/me/push-subscription",
            json={"endpoint": "ftp://push.example/x", "keys": {"p256dh": "A" * 87, "auth": "B" * 22}},
        )
        assert r.status_code == 422
    async with two_nodes.client() as anonymous:
        r = await anonymous.put(
            "/v1/me/push-subscription",
            json={"endpoint": "https://push.example/x", "keys": {"p256dh": "A" * 87, "auth": "B" * 22}},
        )
        assert r.status_code == 401
    await trust.close()


async def test_every_device_of_a_responder_is_pushed_and_a_gone_one_is_forgotten(two_nodes, push_service):
    node = two_nodes.nodes[0]
    trust = await make_trust(two_nodes, policy=POLICY)
    await trust.responder("multi", ["staff"])
    phone = push_service.subscription("phone")
    async with node.client(trust.tokens["multi"]) as me:
        for body in (
            phone,
            push_service.subscription("tablet"),
            push_service.subscription("old"),
            {**phone, "kind": "webpush"},
        ):
            r = await me.put("/v1/me/push-subscription", json=body)  # the phone twice: still one device
            assert r.status_code == 204, r.text
        assert (await me.get("/v1/me/push-config")).json()["kinds"] == ["webpush"]
        at = north_of(CENTRE, 40)
        assert (await me.put("/v1/me/location", json={"lat": at[0], "lon": at[1]})).status_code == 204
    push_service.gone.add("old")

    async with node.client(trust.cad_key) as cad:
        for n in (1, 2):
            r = await cad.post(
                "/v1/incidents",
                json={"cad_ref": f"DEVICES-{n}", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"},
            )
            assert r.status_code == 201 and r.json()["alerted"] == 1, r.text
            await push_service.wait_until(
                lambda n=n: (
                    len(push_service.received.get("phone", [])) == n
                    and len(push_service.received.get("tablet", [])) == n
                )
            )
            assert (await cad.post(f"/v1/incidents/{r.json()['id']}/close")).status_code == 200
    # Each device got each alert once; the gone one was tried once, then forgotten.
    assert [a["incident_id"] for a in push_service.received["phone"]] == [
        a["incident_id"] for a in push_service.received["tablet"]
    ]
    assert push_service.refused == {"old": 1}
    await trust.close()


async def test_a_kind_of_device_this_deployment_cannot_push_is_refused(two_nodes):
    trust = await make_trust(two_nodes, policy=POLICY)
    await trust.responder("r", ["staff"])
    async with two_nodes.client(trust.tokens["r"]) as me:
        r = await me.put("/v1/me/push-subscription", json={"kind": "fcm", "token": "f" * 40})
        assert r.status_code == 422 and r.json()["code"] == "push_kind_unsupported", r.text
        assert "no fcm pushes" in r.json()["detail"]
        r = await me.put(
            "/v1/me/push-subscription", json={"kind": "apns", "device_token": "ab" * 32, "topic": "uk.nhs.app"}
        )
        assert r.status_code == 422 and r.json()["code"] == "push_kind_unsupported"
        for bad in (
            {"kind": "pager", "number": "1"},
            {"kind": "fcm"},
            {"kind": "apns", "device_token": "not hex" * 10},
        ):
            r = await me.put("/v1/me/push-subscription", json=bad)
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), bad
    await trust.close()


async def test_a_credential_reminder_reaches_the_phone_by_web_push(two_nodes, push_service):
    """The worker's periodic reminder job, sent as beat sends it, pushes to a responder with no socket."""
    node = two_nodes.nodes[0]
    trust = await make_trust(two_nodes, policy=POLICY)
    base = f"/v1/trusts/{trust.id}"
    await trust.responder("certified", ["staff"])
    expires = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    async with node.client(trust.tokens["certified"]) as me:
        r = await me.put("/v1/me/push-subscription", json=push_service.subscription("certified"))
        assert r.status_code == 204, r.text
        server_key = (await me.get("/v1/me/push-config")).json()["application_server_key"]
        r = await me.post("/v1/me/credentials", **form("cpr", expires, PDF))
        assert r.status_code == 201, r.text
        credential_id = r.json()["id"]
    assert (
        await trust.admin.post(f"{base}/responders/certified/credentials/{credential_id}/verify")
    ).status_code == 200

    make_celery(two_nodes.settings).send_task(Task.CREDENTIAL_REMINDERS)  # what beat sends every interval
    pushed = await push_service.wait("certified", timeout=30)
    assert pushed["type"] == "reminder" and pushed["reason"] == "credential_expiring"
    assert (pushed["credential_id"], pushed["kind"], pushed["expires_on"], pushed["days_left"]) == (
        credential_id,
        "cpr",
        expires,
        10,
    )
    assert "in 10 days" in pushed["text"]
    headers = push_service.headers["certified"][0]
    assert Vapid02.verify(headers["Authorization"]) and f"k={server_key}" in headers["Authorization"]
    assert headers["Urgency"] == "normal" and int(headers["TTL"]) >= 3600
    reminded = (await trust.admin.get(f"{base}/responders/certified/credentials")).json()["credentials"][0]
    assert reminded["reminded_at"] is not None
    await trust.close()
