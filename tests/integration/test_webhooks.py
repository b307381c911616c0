"""Signed webhooks to a real HTTP receiver on loopback: signature, retries, order, dedupe ids, TTL."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import update

from alerting.store.models import Credential
from dispatch_adapter.receiver import Attempt
from dispatch_adapter.signing import verify
from dispatch_adapter.webhook_schema import WebhookEvent
from tests.support.clients import CENTRE, make_trust, north_of, online

ONE_PHASE = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}


async def eventually(check, timeout: float = 20):
    """Wait until `check()` returns something truthy (a condition on state written elsewhere)."""

    async def loop():
        while not (result := await check()):
            await asyncio.sleep(0.05)
        return result

    return await asyncio.wait_for(loop(), timeout)


def failing_first(n: int, event: str):
    """A flaky CAD: answers 500 to the first `n` attempts of `event`, then 200."""
    seen = Counter()

    def respond(attempt: Attempt) -> int:
        seen[attempt.event] += 1
        return 500 if attempt.event == event and seen[event] <= n else 200

    return respond


async def test_flaky_receiver_gets_each_event_once_in_order_with_every_attempt_in_the_timeline(
    any_stack, receiver_factory
):
    stack = any_stack
    trust = await make_trust(stack, policy=ONE_PHASE)
    await trust.responder("amy", ["staff"])
    sock = await online(stack, trust, "amy", north_of(CENTRE, 100))
    receiver = await receiver_factory([trust.cad_key], failing_first(2, "incident.alerting"))

    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "WH-1",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "callback_url": receiver.url,
        },
    )
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]
    alert = await sock.next("alert", incident_id=incident_id)
    # Accept while incident.alerting is still failing: the later events must queue behind it.
    await sock.send(type="accept", alert_id=alert["alert_id"])
    await sock.next("assigned", alert_id=alert["alert_id"])

    expected = ["incident.alerting", "responder.accepted", "incident.filled"]
    await receiver.wait_for(lambda rc: len(rc.events) >= 3, timeout=30)
    assert [e["event"] for e in receiver.events] == expected
    assert all(e["incident_id"] == incident_id and e["cad_ref"] == "WH-1" for e in receiver.events)
    assert receiver.events[1]["responder"]["id"] == "amy" and receiver.events[1]["responder"]["role"] == "scene"
    for e in receiver.events:
        WebhookEvent.model_validate(e)  # what is sent is what /openapi.json documents

    # Every attempt was signed with the trust's CAD key over the exact body.
    assert all(a.verified for a in receiver.attempts)
    # Three attempts of incident.alerting, all with one delivery id; each event its own id.
    by_event = {}
    for a in receiver.attempts:
        by_event.setdefault(a.event, []).append(a)
    alerting = by_event["incident.alerting"]
    assert [a.status for a in alerting] == [500, 500, 200]
    assert len({a.delivery_id for a in alerting}) == 1
    assert len(set(receiver.delivery_ids)) == 3
    # Per-incident order: nothing later was even tried before incident.alerting was acknowledged.
    acked = alerting[-1].received_at
    assert all(a.received_at >= acked for a in by_event["responder.accepted"] + by_event["incident.filled"])

    async def timeline_done():
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        attempts = [t for t in view["timeline"] if t["event"] == "webhook.attempt"]
        return attempts if sum(t["outcome"] == "delivered" for t in attempts) == 3 else None

    attempts = await eventually(timeline_done)
    tried = [(t["webhook_event"], t["attempt"], t["outcome"], t.get("status_code")) for t in attempts]
    assert tried == [
        ("incident.alerting", 1, "retry", 500),
        ("incident.alerting", 2, "retry", 500),
        ("incident.alerting", 3, "delivered", 200),
        ("responder.accepted", 1, "delivered", 200),
        ("incident.filled", 1, "delivered", 200),
    ]
    assert all("next_attempt_at" in t for t in attempts if t["outcome"] == "retry")
    assert [t["seq"] for t in attempts] == [1, 1, 1, 2, 3]
    assert {t["delivery_id"] for t in attempts} == set(receiver.delivery_ids)
    await sock.close()
    await trust.close()


async def test_retries_back_off_and_stop_at_the_alert_ttl(stack, receiver_factory):
    policy = {**ONE_PHASE, "alert_ttl_s": 10}
    trust = await make_trust(stack, policy=policy)
    await trust.responder("ben", ["staff"])
    sock = await online(stack, trust, "ben", north_of(CENTRE, 50))
    receiver = await receiver_factory([trust.cad_key], lambda attempt: 503)
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "WH-TTL",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "callback_url": receiver.url,
        },
    )
    incident_id = r.json()["id"]

    async def given_up():
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        return view if any(t["event"] == "webhook.given_up" for t in view["timeline"]) else None

    view = await eventually(given_up, timeout=40)
    attempts = [
        t for t in view["timeline"] if t["event"] == "webhook.attempt" and t["webhook_event"] == "incident.alerting"
    ]
    await sock.close()
    assert attempts[-1]["outcome"] == "given_up"
    assert all(t["outcome"] == "retry" for t in attempts[:-1]) and len(attempts) >= 3
    assert len([a for a in receiver.attempts if a.event == "incident.alerting"]) == len(attempts)
    tried = [a.received_at for a in receiver.attempts if a.event == "incident.alerting"]
    assert tried[-1] - tried[0] <= 10 + 1  # never tried after the TTL
    # Backoff: a fixed short interval would try ~100 times in 10 s; doubling jittered delays ~5.
    assert len(tried) <= 15
    assert receiver.events == []
    assert [a.status for a in receiver.attempts if a.event == "incident.alerting"] == [503] * len(attempts)
    await trust.close()


async def test_a_rotated_key_signs_alongside_the_old_one_during_the_grace_period(stack, receiver_factory):
    trust = await make_trust(stack, policy=ONE_PHASE)
    rotated = await trust.admin.post(f"/v1/trusts/{trust.id}/keys/rotate", json={"grace_s": 3600})
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["cad_key"]
    assert new_key != trust.cad_key
    old_only = await receiver_factory([trust.cad_key])
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "WH-ROT",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "callback_url": old_only.url,
        },
    )
    assert r.status_code == 201  # the old key still authenticates in its grace period
    await old_only.wait_for(lambda rc: len(rc.events) == 1, timeout=20)
    attempt = old_only.attempts[0]
    assert attempt.signature.count("v1=") == 2
    t = verify(attempt.signature, attempt.raw, new_key, now=attempt.received_at)
    assert t == verify(attempt.signature, attempt.raw, trust.cad_key, now=attempt.received_at)
    await trust.close()


async def test_a_retry_lost_with_a_crashed_worker_is_delivered_by_the_sweep(stack, receiver_factory):
    trust = await make_trust(stack, policy=ONE_PHASE)
    await trust.responder("cat", ["staff"])
    sock = await online(stack, trust, "cat", north_of(CENTRE, 80))
    crashed = asyncio.Event()
    receiver = await receiver_factory([trust.cad_key], lambda attempt: 200 if crashed.is_set() else 500)
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "WH-CRASH",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "callback_url": receiver.url,
        },
    )
    incident_id = r.json()["id"]

    async def retry_scheduled():
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        return any(t["event"] == "webhook.attempt" and t["outcome"] == "retry" for t in view["timeline"])

    await eventually(retry_scheduled)
    # SIGKILL: the countdown task it held comes back only after the broker's visibility timeout (1 h),
    # so only the periodic sweep of the restarted worker can deliver the event now.
    stack.worker.kill()
    failed_before = len(receiver.attempts)
    crashed.set()
    stack.worker.start()
    await receiver.wait_for(lambda rc: len(rc.events) == 1, timeout=45)
    assert receiver.events[0]["event"] == "incident.alerting"
    assert [a.status for a in receiver.attempts] == [500] * failed_before + [200]
    assert len({a.delivery_id for a in receiver.attempts}) == 1
    await sock.close()
    await trust.close()


async def test_the_webhook_is_documented_in_the_served_openapi(stack):
    async with stack.client() as anonymous:
        doc = (await anonymous.get("/openapi.json")).json()
    hook = doc["webhooks"]["incident-event"]["post"]
    headers = {p["name"] for p in hook["parameters"] if p["in"] == "header"}
    assert headers == {"X-Alerting-Signature", "X-Alerting-Delivery", "X-Alerting-Event"}
    body = hook["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][body]["properties"]["event"]["enum"]) == {
        "incident.alerting",
        "responder.accepted",
        "responder.declined",
        "responder.arrived",
        "incident.filled",
        "incident.exhausted",
        "incident.stood_down",
        "incident.not_alerted",
        "responder.status",
        "responder.eta",
        "responder.message",
        "incident.raised",
        "alerter.message",
    }
    assert "/v1/trusts/{trust}/keys/rotate" in doc["paths"]


@pytest.mark.parametrize(
    "stored, reason",
    [
        (None, "no CAD key that can sign; rotate the CAD key"),  # a trust from before signing copies were kept
        ("gAAAAnot-a-fernet-token", "cannot be decrypted with ALERTING_SECRET_KEY"),  # processes with different keys
    ],
)
async def test_an_unsignable_webhook_is_recorded_as_failing_and_recovers_after_a_rotation(
    stack, receiver_factory, stored, reason
):
    trust = await make_trust(stack, policy=ONE_PHASE)
    await trust.responder("dan", ["staff"])
    sock = await online(stack, trust, "dan", north_of(CENTRE, 60))
    services = stack.server.config.app.state.services
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(Credential)
            .where(Credential.trust_id == trust.id, Credential.kind == "cad")
            .values(secret_enc=stored)
        )
    receiver = await receiver_factory([trust.cad_key])
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "WH-NOKEY",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "callback_url": receiver.url,
        },
    )
    incident_id = r.json()["id"]

    async def attempts_so_far():
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        return [t for t in view["timeline"] if t["event"] == "webhook.attempt"]

    attempts = await eventually(attempts_so_far)
    assert attempts[0]["outcome"] == "retry" and reason in attempts[0]["error"]
    assert receiver.attempts == []  # nothing unsigned ever left the platform

    rotated = await trust.admin.post(f"/v1/trusts/{trust.id}/keys/rotate", json={"grace_s": 0})
    receiver.keys = [rotated.json()["cad_key"]]
    await receiver.wait_for(lambda rc: len(rc.events) == 1, timeout=30)
    assert receiver.attempts[0].verified and receiver.attempts[0].signature.count("v1=") == 1
    await sock.close()
    await trust.close()
