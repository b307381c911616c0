"""While help comes, the alerter is told, through the public surface (real sockets, Redis,
PostgreSQL and worker): `help` frames as responders accept, move, arrive and are withdrawn, the
nearest AED, the message thread both ways (socket and HTTP, responders, control room, CAD), the
stand-down when the CAD cancels or closes, and nothing for anyone else's alerter."""

from __future__ import annotations

import asyncio
import json
import math

import pytest
import websockets

from dispatch_adapter.receiver import WebhookReceiver
from tests.support.alerters import alerter_online, alerter_policy, alerter_ws, help_until, make_alerter
from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of, online
from tests.support.stack import Stack, Worker, free_port, make_settings

PROBLEM = "application/problem+json"
WALK_MPS, ROUTE_FACTOR = 1.6, 1.3  # the settings' defaults, which an ETA on foot uses


async def raise_at(stack, token: str, at=CENTRE) -> str:
    async with stack.client(token) as phone:
        r = await phone.post("/v1/alerts/raise", json={"lat": at[0], "lon": at[1], "accuracy_m": 8})
    assert r.status_code == 201, r.text
    return r.json()["incident_id"]


@pytest.fixture(scope="module")
async def stack(pg_url):
    """Positions are not rate-limited here: a responder's first position on the way follows the one
    she came online with within a real second, which the default (one a second) would drop."""
    settings = make_settings(pg_url, location_rate_per_s=1000.0, location_burst=1000)
    s = Stack(settings, free_port(), Worker(settings))
    await s.start()
    yield s
    await s.stop()


def walk_eta(metres: float) -> int:
    return math.ceil(metres * ROUTE_FACTOR / WALK_MPS)


async def test_the_alerter_sees_help_come_nearer_and_stands_down_when_the_cad_cancels(stack):
    trust = await make_trust(stack, policy=alerter_policy(accept_limit=2))
    for rid in ("amy", "ben"):
        await trust.responder(rid, ["staff"])
    assert (await trust.aed("aed-1", "Library", north_of(CENTRE, 30))).status_code == 200
    amy = await online(stack, trust, "amy", north_of(CENTRE, 140))
    ben = await online(stack, trust, "ben", north_of(CENTRE, 250))
    token = await make_alerter(stack, trust, "bea")
    bea = await alerter_online(stack, token)
    assert bea.ready == {"type": "ready", "alerter_id": "bea", "incident_id": None}

    incident_id = await raise_at(stack, token)
    first = await help_until(bea, incident_id=incident_id, alerted=2)
    assert first["status"] == "alerting" and first["accepted"] == 0 and first["on_scene"] == 0
    assert first["nearest_m"] is None and first["eta_s"] is None
    assert first["aed"]["name"] == "Library" and abs(first["aed"]["distance_m"] - 30) < 1

    alert = await amy.next("alert", incident_id=incident_id)
    await amy.send(type="accept", alert_id=alert["alert_id"])
    await amy.next("assigned")
    coming = await help_until(bea, accepted=1)
    assert coming["nearest_m"] == 140 and coming["eta_s"] == walk_eta(140) and coming["alerted"] == 1

    # On her way: her positions bring the nearest responder nearer.
    lat, lon = north_of(CENTRE, 60)
    await amy.send(type="location", lat=lat, lon=lon, accuracy_m=5)
    nearer = await help_until(bea, nearest_m=60)
    assert nearer["accepted"] == 1 and nearer["eta_s"] == walk_eta(60)
    async with stack.client(token) as phone:  # a reload of the page reads the same
        now = (await phone.get("/v1/alerts/current")).json()
    assert {k: now[k] for k in nearer if k != "type"} == {k: v for k, v in nearer.items() if k != "type"}

    ben_alert = await ben.next("alert", incident_id=incident_id)
    await ben.send(type="accept", alert_id=ben_alert["alert_id"])
    two = await help_until(bea, accepted=2)
    assert two["status"] == "filled" and two["nearest_m"] == 60

    # A dispatcher suspends ben: withdrawn, he no longer counts.
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/ben", json={"status": "suspended"})
    assert r.status_code == 200, r.text
    back = await help_until(bea, accepted=1)
    assert back["nearest_m"] == 60

    await amy.send(type="arrived", alert_id=alert["alert_id"])
    there = await help_until(bea, on_scene=1)
    assert there["nearest_m"] == 0 and there["eta_s"] == 0

    r = await trust.cad.post(f"/v1/incidents/{incident_id}/cancel", json={"reason": "ambulance on scene"})
    assert r.status_code in (200, 204), r.text
    assert await bea.next("stand_down") == {"type": "stand_down", "incident_id": incident_id, "reason": "cancelled"}
    assert (await help_until(bea, status="cancelled"))["accepted"] == 0

    # Reconnecting after the end: nothing open, nothing to follow.
    again = await alerter_online(stack, token)
    assert again.ready["incident_id"] is None
    await again.roundtrip()
    assert again.taken("help") == []
    for sock in (amy, ben, bea, again):
        await sock.close()


async def test_a_reconnecting_alerter_gets_the_help_now_and_a_confirmation_reaches_them(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 100))
    token = await make_alerter(stack, trust, "cy")
    incident_id = await raise_at(stack, token)

    cy = await alerter_online(stack, token)
    assert cy.ready["incident_id"] == incident_id
    waiting = await cy.next("help")
    assert waiting["status"] == "awaiting_confirmation" and waiting["alerted"] == 0 and waiting["aed"] is None

    r = await trust.cad.post(f"/v1/incidents/{incident_id}/confirm")
    assert r.status_code in (200, 201), r.text
    confirmed = await help_until(cy, status="alerting")
    assert confirmed["alerted"] == 1 and confirmed["accepted"] == 0
    await amy.next("alert", incident_id=incident_id)
    for sock in (amy, cy):
        await sock.close()


async def test_messages_flow_between_the_alerter_the_responders_and_the_control_room(stack):
    trust = await make_trust(stack, policy=alerter_policy())
    hook = WebhookReceiver(keys=[trust.cad_key])
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}", json={"alerter_callback_url": await hook.start()})
    assert r.status_code == 200, r.text
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 100))
    token = await make_alerter(stack, trust, "dee")
    dee = await alerter_online(stack, token)
    incident_id = await raise_at(stack, token)
    alert = await amy.next("alert", incident_id=incident_id)

    await dee.send(type="message", text="  He is not breathing, second floor  ")
    heard = await amy.next("message")
    assert heard == {
        "type": "message",
        "alert_id": alert["alert_id"],
        "from": "alerter",
        "text": "He is not breathing, second floor",
        "at": heard["at"],
    }
    echo = await dee.next("message")
    assert (echo["from"], echo["text"], echo["incident_id"]) == (
        "alerter",
        "He is not breathing, second floor",
        incident_id,
    )

    await amy.send(type="message", alert_id=alert["alert_id"], text="Two minutes away")
    reply = await dee.next("message", **{"from": "responder"})
    assert reply["text"] == "Two minutes away" and "responder" not in reply  # no responder's id for the alerter

    r = await trust.cad.post(f"/v1/incidents/{incident_id}/messages", json={"text": "Ambulance 6 minutes"})
    assert r.status_code == 201, r.text
    assert (await dee.next("message", **{"from": "control"}))["text"] == "Ambulance 6 minutes"
    assert (await amy.next("message", **{"from": "control"}))["text"] == "Ambulance 6 minutes"

    async with stack.client(token) as phone:
        r = await phone.post("/v1/alerts/current/messages", json={"text": "Starting CPR"})
        assert r.status_code == 201, r.text
        assert r.json()["incident_id"] == incident_id and r.json()["from"] == "alerter"
        assert (await amy.next("message", **{"from": "alerter"}))["text"] == "Starting CPR"
        for bad in ({"text": ""}, {"text": "   "}, {"text": "x" * 1001}, {"text": "a\x00b"}, {}, {"text": 5}):
            r = await phone.post("/v1/alerts/current/messages", json=bad)
            assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), (bad, r.text)
        await dee.send(type="message", text="")
        assert (await dee.next("error"))["code"] == "invalid_message"

        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        assert [(x["from"], x["text"]) for x in view["messages"]] == [
            ("alerter", "He is not breathing, second floor"),
            ("responder", "Two minutes away"),
            ("control", "Ambulance 6 minutes"),
            ("alerter", "Starting CPR"),
        ]
        assert "cad.alerter.message" in [t["event"] for t in view["timeline"]]
        # The CAD hears the alerter's words as signed `alerter.message` webhooks (the receiver checks).
        await hook.wait_for(lambda h: sum(e["event"] == "alerter.message" for e in h.events) == 2, timeout=20)
        said = [e for e in hook.events if e["event"] == "alerter.message"]
        assert [e["text"] for e in said] == ["He is not breathing, second floor", "Starting CPR"]
        assert all(e["incident_id"] == incident_id and "responder" not in e for e in said)
        thread = (await phone.get("/v1/alerts/current")).json()["messages"]
        assert [(x["from"], x["text"]) for x in thread] == [(x["from"], x["text"]) for x in view["messages"]]
        assert all(set(x) == {"at", "from", "text"} for x in thread)  # no responder ids for the alerter

        r = await trust.cad.post(f"/v1/incidents/{incident_id}/close")
        assert r.status_code in (200, 204), r.text
        assert await dee.next("stand_down") == {"type": "stand_down", "incident_id": incident_id, "reason": "closed"}
        assert (await amy.next("stand_down"))["reason"] == "closed"
        r = await phone.post("/v1/alerts/current/messages", json={"text": "hello?"})
        assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    await dee.send(type="message", text="anyone?")
    assert (await dee.next("error"))["code"] == "notfound"
    for sock in (amy, dee):
        await sock.close()
    await hook.stop()


async def test_another_alerter_of_the_trust_or_of_another_trust_hears_nothing(stack):
    trust = await make_trust(stack, policy=alerter_policy())
    other = await make_trust(stack, policy=alerter_policy())
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 100))
    token = await make_alerter(stack, trust, "eve")
    eve = await alerter_online(stack, token)
    neighbour = await alerter_online(stack, await make_alerter(stack, trust, "fay"))
    stranger = await alerter_online(stack, await make_alerter(stack, other, "eve"))  # the same id, trust B

    incident_id = await raise_at(stack, token)
    alert = await amy.next("alert", incident_id=incident_id)
    await amy.send(type="accept", alert_id=alert["alert_id"])
    await help_until(eve, accepted=1)
    await eve.send(type="message", text="hurry")
    await amy.send(type="message", alert_id=alert["alert_id"], text="coming")
    await eve.next("message", **{"from": "responder"})
    await trust.cad.post(f"/v1/incidents/{incident_id}/close")
    await eve.next("stand_down")
    for sock in (neighbour, stranger):
        await sock.roundtrip()
        assert sock.frames == [], sock.frames
    for sock in (amy, eve, neighbour, stranger):
        await sock.close()


@pytest.mark.parametrize("via_message", [False, True])
async def test_the_alerter_socket_takes_only_an_alerter_token(stack, via_message):
    trust = await make_trust(stack, policy=alerter_policy())
    responder_token = await trust.responder("gil", ["staff"])
    alerter_token = await make_alerter(stack, trust, "hal")

    async def closed_with(url: str, token: str) -> int:
        ws = await websockets.connect(url if via_message else f"{url}?token={token}")
        if via_message:
            await ws.send(json.dumps({"type": "auth", "token": token}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        return closed.value.rcvd.code

    assert await closed_with(alerter_ws(stack), responder_token) == 4403
    assert await closed_with(alerter_ws(stack), trust.cad_key) == 4403
    assert await closed_with(alerter_ws(stack), "alt_not-a-token") == 4401
    assert await closed_with(stack.ws_url, alerter_token) == 4403  # nor the responder socket an alerter's
    sock = await ResponderSocket.connect(alerter_ws(stack), alerter_token, via_message=via_message)
    assert sock.ready == {"type": "ready", "alerter_id": "hal", "incident_id": None}
    await sock.send(type="accept", alert_id="x")
    assert (await sock.next("error"))["code"] == "unknown_type"
    await sock.close()


async def test_a_suspended_alerters_sockets_close_and_their_token_is_refused_until_reinstated(stack):
    """Suspending closes every socket the alerter holds (4410, saying why) and refuses the token on
    their socket and routes (403 with the number to call); their alert goes on, and reinstating them
    makes the same token work again."""
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", emergency_number="112"))
    token = await make_alerter(stack, trust, "ida", "Ida Lane")
    other = await make_alerter(stack, trust, "jon")
    incident_id = await raise_at(stack, token)
    socks = [await alerter_online(stack, token) for _ in range(2)]
    bystander = await alerter_online(stack, other)
    for sock in socks:
        assert sock.ready["incident_id"] == incident_id

    path = f"/v1/trusts/{trust.id}/alerters/ida"
    assert (await trust.admin.patch(path, json={"suspended": True})).json()["suspended"] is True
    for sock in socks:
        await sock._reader  # the server closes it
        assert sock.ws.close_code == 4410 and "suspended" in sock.ws.close_reason
    await bystander.roundtrip()  # another alerter of the trust is left alone

    async def refused_on(via_message: bool) -> tuple[int, str]:
        url = alerter_ws(stack)
        ws = await websockets.connect(url if via_message else f"{url}?token={token}")
        if via_message:
            await ws.send(json.dumps({"type": "auth", "token": token}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)  # no `ready`: closed at once
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, closed.value.rcvd.reason

    for via_message in (False, True):
        code, reason = await refused_on(via_message)
        assert code == 4410 and "suspended" in reason
    async with stack.client(token) as phone:
        for r in (
            await phone.get("/v1/alerts/current"),
            await phone.post("/v1/alerts/current/messages", json={"text": "still here"}),
            await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]}),
        ):
            assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
            assert r.json()["code"] == "alerter_suspended" and r.json()["emergency_number"] == "112"
        assert (await phone.get("/v1/whoami")).json()["alerter_id"] == "ida"  # who they are, still
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert view["status"] == "awaiting_confirmation" and view["messages"] == []  # their alert is left to run

    assert (await trust.admin.patch(path, json={"suspended": False})).json()["suspended"] is False
    back = await alerter_online(stack, token)
    assert back.ready["incident_id"] == incident_id
    assert (await back.next("help"))["status"] == "awaiting_confirmation"
    async with stack.client(token) as phone:
        assert (await phone.get("/v1/alerts/current")).json()["incident_id"] == incident_id
    for sock in (back, bystander):
        await sock.close()
    await trust.close()
