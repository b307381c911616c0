"""Native push end to end: responders register Android (FCM) and iOS (APNs) devices, an incident
alerts them, and the worker pushes to FCM- and APNs-shaped services this test runs on loopback
(tests/support/native_push.py: the JWT assertion and provider token verified against their public
keys, FCM's OAuth bearer, APNs over HTTP/2 with its apns-* headers). A device its service says
is unregistered is removed; a busy or briefly down service is tried again and delivers."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.native_push import Answer, ApnsService, FcmService, make_tls
from tests.support.processes import Deployment
from tests.support.stack import ROOT, env_for, make_settings, production_secrets

pytestmark = pytest.mark.e2e

TOPIC = "uk.nhs.responders"
POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0}],
    "accept_limit": 3,
    "alert_ttl_s": 600,
    "categories": ["09-*"],
    "category_labels": {"09-E-01": "Cardiac arrest"},
    "ack_timeout_s": 3,
}


@pytest.fixture(scope="module")
async def services(tmp_path_factory):
    tls = make_tls(tmp_path_factory.mktemp("tls"))
    fcm, apns = FcmService(), ApnsService(topics=(TOPIC,))
    await fcm.start(tls)
    await apns.start(tls)
    yield tls, fcm, apns
    await fcm.stop()
    await apns.stop()


@pytest.fixture(scope="module")
async def deployment(pg_url, services):
    """One API node and a worker whose FCM and APNs are the loopback services (trusted by their CA)."""
    tls, fcm, apns = services
    dep = Deployment.create(
        make_settings(pg_url),
        nodes=1,
        extra_env={
            "SSL_CERT_FILE": str(tls.ca_file),
            "ALERTING_FCM_SERVICE_ACCOUNT": json.dumps(fcm.service_account()),
            "ALERTING_FCM_URL": fcm.url,
            "ALERTING_APNS_KEY": apns.p8(),
            "ALERTING_APNS_KEY_ID": apns.key_id,
            "ALERTING_APNS_TEAM_ID": apns.team_id,
            "ALERTING_APNS_TOPICS": TOPIC,
            "ALERTING_APNS_URL": apns.url,
            "ALERTING_PUSH_RETRY_BASE_S": "0.2",
        },
    )
    await asyncio.to_thread(dep.start)
    yield dep
    await asyncio.to_thread(dep.stop)  # before the services stop: the worker's connections end first


def fcm_token(name: str) -> str:
    return f"{name}:APA91b" + "x" * 40


def apns_token(n: int) -> str:
    return f"{n:02x}" * 32


async def register(dep, trust, responder: str, *devices: dict, metres: float = 40) -> None:
    await trust.responder(responder, ["staff"])
    async with dep.client(trust.tokens[responder]) as me:
        for device in devices:
            r = await me.put("/v1/me/push-subscription", json=device)
            assert r.status_code == 204, r.text
        at = north_of(CENTRE, metres)
        assert (await me.put("/v1/me/location", json={"lat": at[0], "lon": at[1]})).status_code == 204


async def raise_incident(trust, cad_ref: str, alerted: int) -> str:
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": cad_ref,
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
            "address": "1 Park Row",
        },
    )
    assert r.status_code == 201 and r.json()["alerted"] == alerted, r.text
    return r.json()["id"]


async def timeline_until(trust, incident_id: str, done, timeout: float = 20) -> list[dict]:
    async def poll() -> list[dict]:
        while True:
            entries = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()["timeline"]
            if done(entries):
                return entries
            await asyncio.sleep(0.1)  # polling another process's writes: no event crosses the edge

    return await asyncio.wait_for(poll(), timeout)


async def test_android_and_ios_devices_get_the_alert_from_fcm_and_apns(deployment, services):
    _, fcm, apns = services
    trust = await make_trust(deployment, policy=POLICY)
    await register(deployment, trust, "android", {"kind": "fcm", "token": fcm_token("android")})
    await register(deployment, trust, "iphone", {"kind": "apns", "device_token": apns_token(1).upper(), "topic": TOPIC})
    async with deployment.client(trust.tokens["android"]) as me:
        assert (await me.get("/v1/me/push-config")).json()["kinds"] == ["apns", "fcm", "webpush"]

    incident_id = await raise_incident(trust, "NATIVE-1", alerted=2)
    await fcm.wait_until(lambda: fcm.received.get(fcm_token("android")))
    await apns.wait_until(lambda: apns.received.get(apns_token(1)))

    sent = fcm.received[fcm_token("android")][0]
    frame = json.loads(sent["data"]["frame"])
    assert frame["type"] == "alert" and frame["incident_id"] == incident_id and 35 <= frame["distance_m"] <= 45
    assert frame["category_label"] == "Cardiac arrest" and "address" not in frame and "lat" not in frame
    assert sent["android"]["priority"] == "high" and int(sent["android"]["ttl"].removesuffix("s")) > 500
    assert fcm.sign_ins >= 1 and fcm.refused_sign_ins == []

    got = apns.received[apns_token(1)][0]
    assert got["headers"]["apns-topic"] == TOPIC and got["headers"]["apns-push-type"] == "alert"
    assert got["headers"]["apns-priority"] == "10" and apns.refused == []
    assert got["payload"]["frame"]["incident_id"] == incident_id
    assert got["payload"]["aps"]["alert"]["title"] == "Emergency nearby: Cardiac arrest"
    assert got["payload"]["aps"]["alert"]["body"].startswith("About 4")

    entries = await timeline_until(
        trust,
        incident_id,
        lambda es: {e.get("responder") for e in es if e["event"] == "alert.pushed"} >= {"android", "iphone"},
    )
    assert not [e for e in entries if e["event"] == "alert.push_failed"]
    await trust.close()


async def test_unregistered_devices_are_removed_and_a_busy_service_is_tried_again(deployment, services):
    _, fcm, apns = services
    trust = await make_trust(deployment, policy=POLICY)
    gone_fcm, invalid_fcm, busy_fcm, ok_fcm = (fcm_token(n) for n in ("gone", "invalid", "busy", "ok"))
    gone_apns, bad_apns, busy_apns, down_apns = apns_token(10), apns_token(11), apns_token(12), apns_token(13)
    fcm.answers.update(
        {gone_fcm: Answer("unregistered"), invalid_fcm: Answer("invalid"), busy_fcm: Answer("busy", times=1)}
    )
    apns.answers.update(
        {
            gone_apns: Answer("unregistered"),
            bad_apns: Answer("invalid"),
            busy_apns: Answer("busy", times=2),
            down_apns: Answer("down", times=1),
        }
    )
    await register(
        deployment,
        trust,
        "moved-on",  # uninstalled the app on both phones, but kept a working Android tablet
        {"kind": "fcm", "token": gone_fcm},
        {"kind": "fcm", "token": invalid_fcm},
        {"kind": "apns", "device_token": gone_apns, "topic": TOPIC},
        {"kind": "apns", "device_token": bad_apns, "topic": TOPIC},
        {"kind": "fcm", "token": ok_fcm},
    )
    await register(
        deployment,
        trust,
        "busy",
        {"kind": "fcm", "token": busy_fcm},
        {"kind": "apns", "device_token": busy_apns, "topic": TOPIC},
        {"kind": "apns", "device_token": down_apns, "topic": TOPIC},
        metres=60,
    )

    first = await raise_incident(trust, "NATIVE-2", alerted=2)
    # 429 (FCM after its Retry-After, APNs after a backoff) and 503: sent again, and delivered.
    await fcm.wait_until(lambda: fcm.received.get(busy_fcm) and fcm.received.get(ok_fcm))
    await apns.wait_until(lambda: apns.received.get(busy_apns) and apns.received.get(down_apns))
    assert (fcm.attempts[busy_fcm], apns.attempts[busy_apns], apns.attempts[down_apns]) == (2, 3, 2)
    entries = await timeline_until(
        trust,
        first,
        lambda es: {e.get("responder") for e in es if e["event"] == "alert.pushed"} >= {"moved-on", "busy"},
    )
    assert not [e for e in entries if e["event"] == "alert.push_failed"]
    assert (await trust.cad.post(f"/v1/incidents/{first}/close")).status_code == 200

    # The devices their services called unregistered were removed: the next alert reaches the
    # tablet alone, and nobody tries the others again.
    tried = {t: fcm.attempts[t] for t in (gone_fcm, invalid_fcm)} | {t: apns.attempts[t] for t in (gone_apns, bad_apns)}
    assert set(tried.values()) == {1}
    second = await raise_incident(trust, "NATIVE-3", alerted=2)
    await fcm.wait_until(lambda: len(fcm.received.get(ok_fcm, [])) == 2)
    assert json.loads(fcm.received[ok_fcm][1]["data"]["frame"])["incident_id"] == second
    await timeline_until(
        trust,
        second,
        lambda es: {e.get("responder") for e in es if e["event"] == "alert.pushed"} >= {"moved-on", "busy"},
    )
    assert {t: fcm.attempts[t] for t in (gone_fcm, invalid_fcm)} | {
        t: apns.attempts[t] for t in (gone_apns, bad_apns)
    } == tried
    await trust.close()


async def test_an_ios_app_this_deployment_has_no_key_for_is_refused(deployment):
    trust = await make_trust(deployment, policy=POLICY)
    await trust.responder("r", ["staff"])
    async with deployment.client(trust.tokens["r"]) as me:
        r = await me.put(
            "/v1/me/push-subscription",
            json={"kind": "apns", "device_token": apns_token(20), "topic": "org.example.other"},
        )
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
        assert r.json()["errors"][0]["loc"] == "topic" and TOPIC in r.json()["errors"][0]["msg"]
    await trust.close()


@pytest.mark.parametrize("program", [["serve", "--host", "127.0.0.1", "--port", "0"], ["worker", "--no-beat"]])
def test_production_with_credentials_that_do_not_read_refuses_to_start(pg_url, tmp_path, program):
    apns = ApnsService()
    env = {
        **env_for(make_settings(pg_url)),
        **{f"ALERTING_{k.upper()}": v for k, v in production_secrets().items()},
        "ALERTING_ENV": "production",
        "ALERTING_APNS_KEY": apns.p8(),  # a real key, but no key id
        "ALERTING_APNS_TEAM_ID": apns.team_id,
    }
    ran = subprocess.run(
        [sys.executable, "-m", "alerting", *program], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    out = ran.stdout + ran.stderr
    assert ran.returncode != 0 and "apns pushes are configured but" in out and "key id" in out, out[-2000:]
    assert "PRIVATE KEY" not in out and apns.p8().splitlines()[1] not in out
