"""Suspending or erasing a responder takes effect at once: their open alerts are stood down, their
sockets (on any API process) closed with 4410, and their token refused over HTTP and sockets."""

from __future__ import annotations

import pytest
import websockets

from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of, online

INCIDENT = {"lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}
CLOSE_WITHDRAWN = 4410


async def _closed_with(sock: ResponderSocket) -> int | None:
    await sock._reader
    return sock.ws.close_code


async def _refused_on_reconnect(stack, token: str) -> int:
    async with websockets.connect(f"{stack.ws_url}?token={token}") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    return closed.value.rcvd.code


async def test_a_suspended_responder_is_stood_down_disconnected_and_refused(stack):
    trust = await make_trust(stack)
    token = await trust.responder("r1", ["staff"])
    await trust.responder("r2", ["staff"])
    s1 = await online(stack, trust, "r1", north_of(CENTRE, 30))
    s2 = await online(stack, trust, "r2", north_of(CENTRE, 60))
    created = (await trust.cad.post("/v1/incidents", json={"cad_ref": "SUSP-1", **INCIDENT})).json()
    assert created["alerted"] == 2
    alert = await s1.next("alert", incident_id=created["id"])

    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/r1", json={"status": "suspended"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    down = await s1.next("stand_down", alert_id=alert["alert_id"])
    assert down["reason"] == "withdrawn"
    assert await _closed_with(s1) == CLOSE_WITHDRAWN
    assert "suspended" in s1.ws.close_reason

    assert await _refused_on_reconnect(stack, token) == 4401
    async with stack.client(token) as me:
        assert (await me.get("/v1/me/alerts")).status_code == 401
        assert (await me.post(f"/v1/alerts/{alert['alert_id']}/accept")).status_code == 401

    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert {r["id"]: r["state"] for r in status["responders"]} == {"r1": "stood_down", "r2": "alerted"}
    assert any(t["event"] == "responder.withdrawn" and t["responder"] == "r1" for t in status["timeline"])
    other = await s2.next("alert", incident_id=created["id"])  # the incident goes on without them
    await s2.send(type="accept", alert_id=other["alert_id"])
    assert (await s2.next("assigned", alert_id=other["alert_id"]))["role"] == "scene"
    await s2.close()
    await trust.close()


async def test_an_assigned_responder_suspended_is_stood_down_too(stack):
    trust = await make_trust(stack)
    await trust.responder("r1", ["staff"])
    s1 = await online(stack, trust, "r1", north_of(CENTRE, 30))
    created = (await trust.cad.post("/v1/incidents", json={"cad_ref": "SUSP-2", **INCIDENT})).json()
    alert = await s1.next("alert", incident_id=created["id"])
    await s1.send(type="accept", alert_id=alert["alert_id"])
    await s1.next("assigned", alert_id=alert["alert_id"])

    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/r1", json={"status": "suspended"})
    assert r.status_code == 200
    assert (await s1.next("stand_down", alert_id=alert["alert_id"]))["reason"] == "withdrawn"
    assert await _closed_with(s1) == CLOSE_WITHDRAWN
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert [(r["id"], r["state"]) for r in status["responders"]] == [("r1", "stood_down")]

    back = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/r1", json={"status": "active"})
    assert back.status_code == 200
    sock = await ResponderSocket.connect(stack.ws_url, trust.tokens["r1"])  # reinstated: the token works again
    assert [a for a in sock.ready["pending"] if a["incident_id"] == created["id"]] == []
    await sock.send(type="accept", alert_id=alert["alert_id"])  # a withdrawn alert cannot be taken back
    await sock.next("stand_down", alert_id=alert["alert_id"])  # the incident stays filled: the dispatcher decides
    await sock.roundtrip()
    assert sock.taken("assigned") == []
    await sock.close()
    await trust.close()


async def test_an_erased_responders_socket_is_closed_and_their_alert_stood_down(stack):
    trust = await make_trust(stack)
    token = await trust.responder("r1", ["staff"])
    s1 = await online(stack, trust, "r1", north_of(CENTRE, 30))
    created = (await trust.cad.post("/v1/incidents", json={"cad_ref": "ERASE-1", **INCIDENT})).json()
    alert = await s1.next("alert", incident_id=created["id"])

    assert (await trust.admin.delete(f"/v1/trusts/{trust.id}/responders/r1")).status_code == 204
    assert (await s1.next("stand_down", alert_id=alert["alert_id"]))["reason"] == "withdrawn"
    assert await _closed_with(s1) == CLOSE_WITHDRAWN
    assert await _refused_on_reconnect(stack, token) == 4401
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert [(r["id"], r["state"]) for r in status["responders"]] == [("r1", "stood_down")]
    await trust.close()
