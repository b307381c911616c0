"""The whole path of one incident, through the public contract only, on both databases."""

from __future__ import annotations

import time

from tests.support.clients import CENTRE, TWO_PHASES, ResponderSocket, make_trust, north_of, online


async def test_incident_from_cad_post_to_assignment(any_stack):
    stack = any_stack
    trust = await make_trust(stack)
    for rid, groups in [
        ("near-staff", ["staff"]),
        ("mid-community", ["community"]),
        ("far-staff", ["staff"]),
        ("away-staff", ["staff"]),
        ("suspended-staff", ["staff"]),
        ("other-staff", ["staff"]),
    ]:
        await trust.responder(rid, groups)
    socks = {
        "near-staff": await online(stack, trust, "near-staff", north_of(CENTRE, 100)),
        "mid-community": await online(stack, trust, "mid-community", north_of(CENTRE, 600)),
        "far-staff": await online(stack, trust, "far-staff", north_of(CENTRE, 1500)),
        "away-staff": await online(stack, trust, "away-staff", north_of(CENTRE, 50), available=False),
        "suspended-staff": await online(stack, trust, "suspended-staff", north_of(CENTRE, 60)),
        "other-staff": await online(stack, trust, "other-staff", north_of(CENTRE, 150)),
    }
    assert socks["near-staff"].ready["responder_id"] == "near-staff"
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/suspended-staff", json={"status": "suspended"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    suspended = socks.pop("suspended-staff")
    await suspended._reader
    assert suspended.ws.close_code == 4410  # suspension closes the socket at once

    # other-staff is near but already assigned elsewhere: accept on another incident first.
    busy = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "BUSY-1",
            "lat": north_of(CENTRE, 150)[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
        },
    )
    assert busy.status_code == 201, busy.text
    other_alert = await socks["other-staff"].next("alert", incident_id=busy.json()["id"])
    near_busy_alert = await socks["near-staff"].next("alert", incident_id=busy.json()["id"])
    await socks["other-staff"].send(type="accept", alert_id=other_alert["alert_id"])
    await socks["other-staff"].next("assigned", alert_id=other_alert["alert_id"])
    await socks["near-staff"].next("stand_down", alert_id=near_busy_alert["alert_id"], reason="filled")

    started = time.monotonic()
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "CAD-001",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
            "address": "City Square",
        },
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["status"] == "alerting" and incident["phase"] == "trusted" and incident["alerted"] == 1

    alert = await socks["near-staff"].next("alert", incident_id=incident["id"])
    assert alert["category"] == "09-E-01" and alert["address"] == "City Square"
    assert 95 <= alert["distance_m"] <= 105

    # Phase 1 comes from the worker after its delay, and alerts only the newly eligible.
    late = await socks["mid-community"].next("alert", timeout=20, incident_id=incident["id"])
    assert time.monotonic() - started >= 1.9
    assert 590 <= late["distance_m"] <= 610

    # The same cad_ref again: the same incident, and no new alert.
    again = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": "CAD-001", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
    )
    assert again.status_code == 200 and again.json()["id"] == incident["id"]

    # The first accept wins (limit 1); everyone else still alerted is stood down; a late accept too.
    await socks["mid-community"].send(type="accept", alert_id=late["alert_id"])
    assigned = await socks["mid-community"].next("assigned", alert_id=late["alert_id"])
    assert assigned["role"] == "scene"
    await socks["near-staff"].next("stand_down", alert_id=alert["alert_id"], reason="filled")
    await socks["near-staff"].send(type="accept", alert_id=alert["alert_id"])
    await socks["near-staff"].next("stand_down", alert_id=alert["alert_id"], reason="filled")

    status = (await trust.cad.get(f"/v1/incidents/{incident['id']}")).json()
    assert status["status"] == "filled"
    states = {r["id"]: r["state"] for r in status["responders"]}
    assert states == {"near-staff": "stood_down", "mid-community": "accepted"}
    events = [t["event"] for t in status["timeline"]]
    assert events[0] == "reported" and "phase_fired" in events and "incident.filled" in events

    # Nobody out of radius, unavailable, suspended, or busy got this incident.
    for rid in ("far-staff", "away-staff", "other-staff"):
        await socks[rid].roundtrip()
        assert not [f for f in socks[rid].taken("alert") if f["incident_id"] == incident["id"]], rid
    assert not [f for f in suspended.taken("alert") if f["incident_id"] == incident["id"]]

    # Reconnecting brings the open alert back in ready.pending.
    await socks["mid-community"].close()
    again_sock = await ResponderSocket.connect(stack.ws_url, trust.tokens["mid-community"], via_message=True)
    assert [p["alert_id"] for p in again_sock.ready["pending"]] == [late["alert_id"]]
    await again_sock.close()

    for sock in socks.values():
        if sock is not socks["mid-community"]:
            await sock.close()
    await trust.close()


async def test_cancel_stands_everyone_down(stack):
    trust = await make_trust(stack, policy={**TWO_PHASES, "accept_limit": 2})
    await trust.responder("a", ["staff"])
    await trust.responder("b", ["staff"])
    a = await online(stack, trust, "a", north_of(CENTRE, 20))
    b = await online(stack, trust, "b", north_of(CENTRE, 40))
    r = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": "C-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-D-01"}
    )
    assert r.json()["alerted"] == 2
    incident_id = r.json()["id"]
    alert_a = await a.next("alert")
    alert_b = await b.next("alert")
    await a.send(type="accept", alert_id=alert_a["alert_id"])
    await a.next("assigned")
    r = await trust.cad.post(f"/v1/incidents/{incident_id}/cancel", json={"reason": "ROSC before arrival"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    await a.next("stand_down", alert_id=alert_a["alert_id"], reason="cancelled")
    await b.next("stand_down", alert_id=alert_b["alert_id"], reason="cancelled")
    states = {x["id"]: x["state"] for x in r.json()["responders"]}
    assert states == {"a": "stood_down", "b": "stood_down"}
    # A cancelled incident's alerts are no longer pending.
    assert (await stack.client(trust.tokens["b"]).get("/v1/me/alerts")).json() == []
    await a.close()
    await b.close()
    await trust.close()


async def test_category_not_in_policy_alerts_nobody(stack):
    trust = await make_trust(stack)
    await trust.responder("a", ["staff"])
    a = await online(stack, trust, "a", north_of(CENTRE, 20))
    r = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": "FALL-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "17-A-01"}
    )
    assert r.status_code == 201 and r.json()["alerted"] == 0
    await a.roundtrip()
    assert a.taken("alert") == []
    await a.close()
    await trust.close()
