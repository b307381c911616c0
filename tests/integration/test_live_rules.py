"""The live-response alerting rules through the public surface (real Redis, PostgreSQL and worker):
an incident the policy alerts no one for says so, excluded flags, replacement of a decline or a
silence, and alerting only responders expected before the ambulance."""

from __future__ import annotations

import asyncio

from tests.support.clients import CENTRE, make_trust, north_of, online

ONE_PHASE = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 800, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}


def incident(cad_ref, **extra):
    return {
        "cad_ref": cad_ref,
        "lat": CENTRE[0],
        "lon": CENTRE[1],
        "category": "09-E-01",
        "location_type": "public",
    } | extra


async def test_an_unlisted_category_is_not_alerted_with_a_reason_and_the_cad_is_told(stack, receiver_for):
    trust = await make_trust(stack, policy=ONE_PHASE)
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    hook = await receiver_for(trust)
    r = await trust.cad.post("/v1/incidents", json=incident("NA-1", category="26-A-01", callback_url=hook.url))
    body = r.json()
    assert r.status_code == 201 and body["status"] == "not_alerted" and body["alerted"] == 0
    assert body["reason_code"] == "category_not_listed" and "26-A-01" in body["reason"]
    again = (await trust.cad.post("/v1/incidents", json=incident("NA-1", category="26-A-01"))).json()
    assert again["status"] == "not_alerted" and again["reason"] == body["reason"]
    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert view["status"] == "not_alerted" and view["reason"] == body["reason"]
    assert any(t["event"] == "not_alerted" and t["code"] == "category_not_listed" for t in view["timeline"])
    await hook.wait_for(lambda rc: rc.events, timeout=20)
    assert hook.events[0]["event"] == "incident.not_alerted" and hook.events[0]["reason_code"] == "category_not_listed"

    # Recategorised into the policy, it alerts after all, and the accept is honoured.
    r = await trust.cad.patch(f"/v1/incidents/{body['id']}", json={"category": "09-E-01"})
    assert r.status_code == 200 and r.json()["status"] == "alerting" and r.json()["reason"] is None
    alert = await amy.next("alert", incident_id=body["id"])
    await amy.send(type="accept", alert_id=alert["alert_id"])
    await amy.next("assigned", alert_id=alert["alert_id"])
    await amy.close()
    await trust.close()


async def test_an_excluded_flag_alerts_no_one_and_a_late_flag_stands_everyone_down(stack):
    trust = await make_trust(stack, policy={**ONE_PHASE, "exclude_flags": ["unsafe_scene", "expected_death"]})
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    r = await trust.cad.post("/v1/incidents", json=incident("FL-1", flags=["unsafe_scene", "child"]))
    body = r.json()
    assert r.status_code == 201 and body["status"] == "not_alerted" and body["alerted"] == 0
    assert body["reason_code"] == "excluded_flag" and "unsafe scene" in body["reason"]
    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert view["flags"] == ["unsafe_scene", "child"] and view["responders"] == []

    # A flag the policy does not exclude alerts as usual; the CAD flagging it later stands amy down.
    second = (await trust.cad.post("/v1/incidents", json=incident("FL-2", flags=["child"]))).json()
    assert second["status"] == "alerting" and second["alerted"] == 1
    alert = await amy.next("alert", incident_id=second["id"])
    r = await trust.cad.patch(f"/v1/incidents/{second['id']}", json={"flags": ["child", "expected_death"]})
    assert r.status_code == 200 and r.json()["status"] == "not_alerted"
    assert (await amy.next("stand_down", alert_id=alert["alert_id"]))["reason"] == "excluded"
    assert amy.taken("alert") == []  # the first incident never reached her

    bad = await trust.cad.post("/v1/incidents", json=incident("FL-3", flags=["haunted"]))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    await amy.close()
    await trust.close()


async def test_replace_on_decline_keeps_exactly_accept_limit_assigned(stack):
    policy = {**ONE_PHASE, "accept_limit": 2, "replace_declined": True, "answer_s": 600}
    policy["phases"] = [{"name": "all", "groups": ["staff"], "radius_m": 800, "delay_s": 0, "max_alerts": 2}]
    trust = await make_trust(stack, policy=policy)
    names = ["a1", "a2", "a3", "a4", "a5"]
    socks = {}
    for i, rid in enumerate(names):
        await trust.responder(rid, ["staff"])
        socks[rid] = await online(stack, trust, rid, north_of(CENTRE, 50 + 100 * i))
    body = (await trust.cad.post("/v1/incidents", json=incident("RP-1"))).json()
    assert body["alerted"] == 2
    a1 = await socks["a1"].next("alert", incident_id=body["id"])
    await socks["a1"].send(type="decline", alert_id=a1["alert_id"])
    a3 = await socks["a3"].next("alert", incident_id=body["id"])  # the next nearest not yet alerted
    a2 = await socks["a2"].next("alert", incident_id=body["id"])
    await socks["a2"].send(type="decline", alert_id=a2["alert_id"])
    a4 = await socks["a4"].next("alert", incident_id=body["id"])
    await asyncio.gather(
        socks["a3"].send(type="accept", alert_id=a3["alert_id"]),
        socks["a4"].send(type="accept", alert_id=a4["alert_id"]),
    )
    await socks["a3"].next("assigned", alert_id=a3["alert_id"])
    await socks["a4"].next("assigned", alert_id=a4["alert_id"])
    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert view["status"] == "filled"
    assert sorted(r["id"] for r in view["responders"] if r["state"] == "accepted") == ["a3", "a4"]
    assert "a5" not in {r["id"] for r in view["responders"]}  # filled: no one else was sent
    replaced = [(t["responder"], t["replaces"]) for t in view["timeline"] if t["event"] == "replacement_alerted"]
    assert replaced == [("a3", "a1"), ("a4", "a2")]
    for s in socks.values():
        await s.close()
    await trust.close()


async def test_silence_for_answer_s_is_replaced_by_the_worker(stack):
    policy = {**ONE_PHASE, "replace_declined": True, "answer_s": 5}
    policy["phases"] = [{"name": "all", "groups": ["staff"], "radius_m": 800, "delay_s": 0, "max_alerts": 1}]
    trust = await make_trust(stack, policy=policy)
    await trust.responder("quiet", ["staff"])
    await trust.responder("next", ["staff"])
    quiet = await online(stack, trust, "quiet", north_of(CENTRE, 50))
    nxt = await online(stack, trust, "next", north_of(CENTRE, 300))
    body = (await trust.cad.post("/v1/incidents", json=incident("SI-1"))).json()
    await quiet.next("alert", incident_id=body["id"])
    alert = await nxt.next("alert", incident_id=body["id"], timeout=30)  # once quiet has said nothing for 5 s
    await nxt.send(type="accept", alert_id=alert["alert_id"])
    await nxt.next("assigned", alert_id=alert["alert_id"])
    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    assert [t["reason"] for t in view["timeline"] if t["event"] == "replacement_alerted"] == ["no_answer"]
    await quiet.close()
    await nxt.close()
    await trust.close()


async def test_a_responder_slower_than_the_ambulance_is_skipped_and_a_faster_one_alerted(stack):
    policy = {**ONE_PHASE, "accept_limit": 2, "only_if_faster_than_ambulance": True, "ambulance_margin_s": 30}
    trust = await make_trust(stack, policy=policy)
    for rid, mode in (("walker", "foot"), ("driver", "car")):
        await trust.responder(rid, ["staff"])
        r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/{rid}", json={"travel_mode": mode})
        assert r.status_code == 200, r.text
    # Both 400 m away: on foot about 325 s, by car about 65 s; the crew is 240 s out.
    walker = await online(stack, trust, "walker", north_of(CENTRE, 400))
    driver = await online(stack, trust, "driver", north_of(CENTRE, 400))
    body = (await trust.cad.post("/v1/incidents", json=incident("AM-1", ambulance_eta_s=240))).json()
    assert body["alerted"] == 1
    alert = await driver.next("alert", incident_id=body["id"])
    assert 150 <= alert["ahead_of_ambulance_s"] <= 190
    view = (await trust.cad.get(f"/v1/incidents/{body['id']}")).json()
    skipped = [t for t in view["timeline"] if t["event"] == "responder_skipped"]
    assert [(t["responder"], t["reason"]) for t in skipped] == [("walker", "slower_than_ambulance")]
    assert 200 <= view["ambulance_eta_s"] <= 240
    await walker.roundtrip()
    assert walker.taken("alert") == []

    # Without the crew's ETA, everyone eligible is alerted as before.
    other = (await trust.cad.post("/v1/incidents", json=incident("AM-2"))).json()
    assert other["alerted"] == 2
    await walker.close()
    await driver.close()
    await trust.close()
