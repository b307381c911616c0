"""A dispatcher acts on an incident through the public surface (real Redis, PostgreSQL and worker):
alerting a named responder by hand and the refusals when they are not eligible, firing the next
phase once, messages both ways (sockets, HTTP, webhooks), and a cancel with a reason; each audited
with the person."""

from __future__ import annotations

import pytest

from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.staff import signed_in

PROBLEM = "application/problem+json"
NEAR = {
    "phases": [
        {"name": "close", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "wider", "groups": ["staff", "community"], "radius_m": 1500, "delay_s": 3600},
    ],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}
ELSEWHERE = north_of(CENTRE, 5000)  # a second incident, far from the first


def incident(cad_ref, at=CENTRE, **extra):
    return {"cad_ref": cad_ref, "lat": at[0], "lon": at[1], "category": "09-E-01", "location_type": "public"} | extra


async def _audit(trust, action):
    r = await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": action})
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_dispatcher_alerts_a_named_responder_and_one_not_eligible_is_refused_with_a_code(stack):
    trust = await make_trust(stack, policy=NEAR)
    for rid in ("amy", "bob", "carl", "dan", "eve"):
        await trust.responder(rid, ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    bob = await online(stack, trust, "bob", north_of(CENTRE, 1200))  # beyond the phase's radius
    carl = await online(stack, trust, "carl", ELSEWHERE)
    dan = await online(stack, trust, "dan", north_of(CENTRE, 300), available=False)
    eve = await online(stack, trust, "eve", north_of(CENTRE, 400))
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dana Whitfield")
    viewer = await signed_in(stack, trust, roles=["viewer"], name="Vic Reader")

    # carl is assigned elsewhere: busy
    other = (await trust.cad.post("/v1/incidents", json=incident("BUSY-1", at=ELSEWHERE))).json()
    alert = await carl.next("alert", incident_id=other["id"])
    await carl.send(type="accept", alert_id=alert["alert_id"])
    await carl.next("assigned", alert_id=alert["alert_id"])
    assert (await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/eve", json={"status": "suspended"})).status_code
    body = (await trust.cad.post("/v1/incidents", json=incident("HAND-1"))).json()
    assert body["alerted"] == 1
    await amy.next("alert", incident_id=body["id"])
    url = f"/v1/incidents/{body['id']}/alert"
    before = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()

    for rid, code, words in [
        ("carl", "busy", "assigned to another open incident"),
        ("dan", "off_duty", "off duty"),
        ("eve", "suspended", "suspended"),
        ("nobody", "not_in_trust", "no responder 'nobody'"),
        ("amy", "already_alerted", "already alerted"),
    ]:
        r = await dispatcher.http.post(url, json={"responder_id": rid})
        assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM), (rid, r.text)
        assert r.json()["code"] == code and words in r.json()["detail"], (rid, r.json())
    after = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert after["responders"] == before["responders"] and after["timeline"] == before["timeline"]  # nothing changed
    assert (await viewer.http.post(url, json={"responder_id": "bob"})).status_code == 403
    assert (await dispatcher.http.post(url, json={"responder_id": ""})).status_code == 422

    r = await dispatcher.http.post(url, json={"responder_id": "bob"})
    assert r.status_code == 201, r.text
    assert r.json()["responder_id"] == "bob" and r.json()["distance_m"] == pytest.approx(1200, abs=2)
    frame = await bob.next("alert", incident_id=body["id"])
    assert frame["alert_id"] == r.json()["alert_id"]
    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert {x["id"]: x["state"] for x in view["responders"]} == {"amy": "alerted", "bob": "alerted"}
    hand = [t for t in view["timeline"] if t["event"] == "alerted_by_hand"]
    assert [(t["responder"], t["by"]) for t in hand] == [("bob", "Dana Whitfield")]
    # the CAD key may do the same
    r = await trust.cad.post(url, json={"responder_id": "carl"})
    assert r.status_code == 409 and r.json()["code"] == "busy"
    entries = await _audit(trust, "incident.alert")
    assert [(e["actor"]["name"], e["responder"]) for e in entries] == [("Dana Whitfield", "bob")]
    for sock in (amy, bob, carl, dan, eve):
        await sock.close()
    await dispatcher.close()
    await viewer.close()
    await trust.close()


async def test_escalate_fires_the_next_phase_once(stack):
    trust = await make_trust(stack, policy=NEAR)
    await trust.responder("amy", ["staff"])
    await trust.responder("cole", ["community"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    cole = await online(stack, trust, "cole", north_of(CENTRE, 900))
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dana Whitfield")
    body = (await trust.cad.post("/v1/incidents", json=incident("ESC-1"))).json()
    assert body["phase"] == "close" and body["alerted"] == 1
    await amy.next("alert", incident_id=body["id"])
    url = f"/v1/incidents/{body['id']}/escalate"

    wrong = await dispatcher.http.post(url, json={"phase": "close"})
    assert wrong.status_code == 409 and wrong.json()["code"] == "not_next_phase" and "'wider'" in wrong.json()["detail"]
    r = await dispatcher.http.post(url, json={"phase": "wider"})
    assert r.status_code == 200, r.text
    assert r.json() == {"phase": "wider", "alerted": ["cole"]}
    await cole.next("alert", incident_id=body["id"])
    for again in (dispatcher.http.post(url, json={"phase": "wider"}), trust.cad.post(url)):
        r = await again
        assert r.status_code == 409 and r.json()["code"] == "no_next_phase", r.text

    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert view["phase"] == "wider"
    fired = [t["phase"] for t in view["timeline"] if t["event"] == "phase_fired"]
    assert fired == ["close", "wider"]
    assert [t["by"] for t in view["timeline"] if t["event"] == "escalated"] == ["Dana Whitfield"]
    assert [x["id"] for x in view["responders"]] == ["amy", "cole"]
    entries = await _audit(trust, "incident.escalate")
    assert [(e["actor"]["name"], e["after"]["phase"]) for e in entries] == [("Dana Whitfield", "wider")]
    await amy.roundtrip()
    assert amy.taken("alert") == []  # nobody is alerted twice
    await amy.close()
    await cole.close()
    await dispatcher.close()
    await trust.close()


async def test_messages_reach_the_sockets_and_replies_come_back_as_webhooks(stack, receiver_for):
    policy = {**NEAR, "accept_limit": 2}
    trust = await make_trust(stack, policy=policy)
    for rid in ("amy", "bob", "cy"):
        await trust.responder(rid, ["staff"])
    socks = {
        rid: await online(stack, trust, rid, north_of(CENTRE, 30 + 40 * i))
        for i, rid in enumerate(["amy", "bob", "cy"])
    }
    hook = await receiver_for(trust)
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dana Whitfield")
    body = (await trust.cad.post("/v1/incidents", json=incident("MSG-1", callback_url=hook.url))).json()
    alerts = {rid: await s.next("alert", incident_id=body["id"]) for rid, s in socks.items()}
    await socks["amy"].send(type="accept", alert_id=alerts["amy"]["alert_id"])
    await socks["amy"].next("assigned")
    await socks["cy"].send(type="decline", alert_id=alerts["cy"]["alert_id"])
    await socks["cy"].roundtrip()

    r = await dispatcher.http.post(f"/v1/incidents/{body['id']}/messages", json={"text": "  Side door, code 4512  "})
    assert r.status_code == 201, r.text
    assert r.json()["to"] == ["amy", "bob"] and r.json()["text"] == "Side door, code 4512"
    for rid in ("amy", "bob"):
        frame = await socks[rid].next("message")
        assert frame == {
            "type": "message",
            "alert_id": alerts[rid]["alert_id"],
            "from": "control",
            "text": "Side door, code 4512",
            "at": r.json()["at"],
        }
    await socks["cy"].roundtrip()
    assert socks["cy"].taken("message") == []  # declined: no longer told

    await socks["amy"].send(type="message", alert_id=alerts["amy"]["alert_id"], text="At the door now")
    await socks["amy"].roundtrip()
    async with stack.client(trust.tokens["bob"]) as bob:
        r = await bob.post(f"/v1/alerts/{alerts['bob']['alert_id']}/messages", json={"text": "Two minutes away"})
        assert r.status_code == 201, r.text
        late = await bob.post(f"/v1/alerts/{alerts['cy']['alert_id']}/messages", json={"text": "not mine"})
        assert late.status_code == 404
    async with stack.client(trust.tokens["cy"]) as cy:
        over = await cy.post(f"/v1/alerts/{alerts['cy']['alert_id']}/messages", json={"text": "sorry"})
        assert over.status_code == 409 and over.json()["code"] == "alert_over"
    await socks["cy"].send(type="message", alert_id=alerts["cy"]["alert_id"], text="sorry")
    error = await socks["cy"].next("error")
    assert error["code"] == "alert_over" and error["alert_id"] == alerts["cy"]["alert_id"]

    await hook.wait_for(lambda h: sum(e["event"] == "responder.message" for e in h.events) == 2, timeout=20)
    replies = [(e["responder"]["id"], e["text"]) for e in hook.events if e["event"] == "responder.message"]
    assert replies == [("amy", "At the door now"), ("bob", "Two minutes away")]
    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert [(x["from"], x.get("by") or x.get("responder"), x["text"]) for x in view["messages"]] == [
        ("control", "Dana Whitfield", "Side door, code 4512"),
        ("responder", "amy", "At the door now"),
        ("responder", "bob", "Two minutes away"),
    ]
    assert all("name" not in x for x in view["messages"])  # the CAD gets responder ids, never names
    staff_view = (await dispatcher.http.get(f"/v1/trusts/{trust.id}/incidents/{body['id']}")).json()
    assert [x.get("name") for x in staff_view["messages"]] == [None, "Amy", "Bob"]
    assert [t["event"] for t in view["timeline"] if t["event"].startswith("message.")] == [
        "message.sent",
        "message.received",
        "message.received",
    ]
    entries = await _audit(trust, "incident.message")
    assert [(e["actor"]["name"], e["after"]["recipients"]) for e in entries] == [("Dana Whitfield", 2)]
    assert "Side door" not in str(entries)  # the words stay with the incident, not in the audit

    for bad in ({"text": "   "}, {"text": "x" * 1001}, {"text": "bell\u0007"}, {}):
        r = await dispatcher.http.post(f"/v1/incidents/{body['id']}/messages", json=bad)
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), bad
    for s in socks.values():
        await s.close()
    await dispatcher.close()
    await trust.close()


async def test_a_dispatcher_cancels_with_a_reason_and_the_cad_still_may_without_one(stack):
    trust = await make_trust(stack, policy=NEAR)
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dana Whitfield")
    viewer = await signed_in(stack, trust, roles=["viewer"], name="Vic Reader")
    body = (await trust.cad.post("/v1/incidents", json=incident("CXL-1"))).json()
    alert = await amy.next("alert", incident_id=body["id"])
    url = f"/v1/incidents/{body['id']}/cancel"
    r = await dispatcher.http.post(url)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "reason"
    assert (await dispatcher.http.post(url, json={"reason": "  "})).status_code == 422
    assert (await viewer.http.post(url, json={"reason": "no"})).status_code == 403
    r = await dispatcher.http.post(url, json={"reason": "Crew on scene, not needed"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert (await amy.next("stand_down", alert_id=alert["alert_id"]))["reason"] == "cancelled"
    cancelled = [t for t in r.json()["timeline"] if t["event"] == "incident.cancelled"]
    assert cancelled == [
        {
            "at": cancelled[0]["at"],
            "event": "incident.cancelled",
            "reason": "Crew on scene, not needed",
            "by": "Dana Whitfield",
        }
    ]
    again = await trust.cad.post(url)  # a retry changes nothing
    assert again.status_code == 200 and again.json()["timeline"] == r.json()["timeline"]
    entries = await _audit(trust, "incident.cancel")
    assert [(e["actor"]["name"], e["after"]["reason"]) for e in entries] == [
        ("Dana Whitfield", "Crew on scene, not needed")
    ]

    other = (await trust.cad.post("/v1/incidents", json=incident("CXL-2"))).json()
    r = await trust.cad.post(f"/v1/incidents/{other['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert [t["reason"] for t in r.json()["timeline"] if t["event"] == "incident.cancelled"] == ["cancelled by CAD"]
    await amy.close()
    await dispatcher.close()
    await viewer.close()
    await trust.close()
