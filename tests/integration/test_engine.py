"""The alerting engine through the public contract: policy API and audit, fatigue, quiet hours,
moves, the AED role, expiry and exhaustion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online


def incident(cad_ref, at=CENTRE, **extra):
    return {"cad_ref": cad_ref, "lat": at[0], "lon": at[1], "category": "09-E-01", "location_type": "public", **extra}


async def test_policy_is_validated_versioned_and_audited(stack):
    trust = await make_trust(stack, policy=None)
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).status_code == 404

    bad = {
        "phases": [
            {"name": "a", "groups": ["staff", "ghosts"], "radius_m": 5, "delay_s": 0},
            {"name": "a", "groups": ["staff"], "radius_m": 300, "delay_s": 10},
        ]
    }
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=bad)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    locs = {(e["loc"], e["msg"]) for e in r.json()["errors"]}
    assert ("phases[0].groups", "unknown group 'ghosts'") in locs
    assert any(loc == "phases[0].radius_m" for loc, _ in locs)
    assert any(loc == "phases[1].name" and "duplicate" in msg for loc, msg in locs)
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).status_code == 404  # nothing saved

    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json={"phases": []})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "phases"

    first = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=TWO_PHASES)
    assert first.status_code == 200 and first.json()["version"] == 1 and first.json()["warnings"] == []
    shrinking = {
        **TWO_PHASES,
        "phases": [
            {"name": "wide", "groups": ["staff"], "radius_m": 900, "delay_s": 0},
            {"name": "narrow", "groups": ["community"], "radius_m": 100, "delay_s": 5},
        ],
    }
    second = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=shrinking)
    assert second.json()["version"] == 2 and "smaller radius" in second.json()["warnings"][0]
    got = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert got["version"] == 2 and got["phases"][1]["radius_m"] == 100

    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()
    updates = [a for a in audit if a["action"] == "policy.update"]
    assert [u["target"] for u in updates] == ["policy v2", "policy v1"]  # newest first
    assert updates[0]["before"]["phases"][0]["name"] == "trusted" and updates[0]["after"]["phases"][0]["name"] == "wide"
    assert updates[0]["actor"]["kind"] == "admin_key" and trust.admin_key not in str(audit)

    r = await trust.cad.post("/v1/incidents", json=incident("P-1"))
    status = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
    assert status["policy_version"] == 2 and status["timeline"][0]["policy_version"] == 2

    # Another trust's admin sees none of it.
    other = await make_trust(stack)
    assert (await other.admin.get(f"/v1/trusts/{trust.id}/policy")).status_code == 404
    assert (await other.admin.get(f"/v1/trusts/{trust.id}/audit")).status_code == 404
    await trust.close()
    await other.close()


async def test_fatigue_limit_and_quiet_hours_skip_and_say_so(stack):
    trust = await make_trust(stack, policy={**TWO_PHASES, "max_alerts_per_hour": 1})
    await trust.responder("tired", ["staff"])
    await trust.responder("sleepy", ["staff"])
    now_local = datetime.now(UTC).astimezone(ZoneInfo("Europe/London"))
    window = {
        "start": (now_local - timedelta(hours=1)).strftime("%H:%M"),
        "end": (now_local + timedelta(hours=1)).strftime("%H:%M"),
        "tz": "Europe/London",
    }
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/sleepy", json={"quiet_hours": window})
    assert r.status_code == 200, r.text
    tired = await online(stack, trust, "tired", north_of(CENTRE, 30))
    sleepy = await online(stack, trust, "sleepy", north_of(CENTRE, 40))

    first = (await trust.cad.post("/v1/incidents", json=incident("F-1"))).json()
    assert first["alerted"] == 1
    await tired.next("alert", incident_id=first["id"])
    second = (await trust.cad.post("/v1/incidents", json=incident("F-2"))).json()
    assert second["alerted"] == 0
    timeline = (await trust.cad.get(f"/v1/incidents/{second['id']}")).json()["timeline"]
    skipped = {(t["responder"], t["reason"]) for t in timeline if t["event"] == "responder_skipped"}
    assert skipped == {("tired", "fatigue_limit"), ("sleepy", "quiet_hours")}
    await sleepy.roundtrip()
    assert sleepy.taken("alert") == []
    await tired.close()
    await sleepy.close()
    await trust.close()


async def test_moved_incident_resends_alert_with_new_distance(stack):
    policy = {
        **TWO_PHASES,
        "phases": [
            {"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0},
            {"name": "later", "groups": ["community"], "radius_m": 500, "delay_s": 3600},
        ],
    }
    trust = await make_trust(stack, policy=policy)
    await trust.responder("a", ["staff"])
    a = await online(stack, trust, "a", north_of(CENTRE, 300))
    created = (await trust.cad.post("/v1/incidents", json=incident("M-1"))).json()
    first = await a.next("alert", incident_id=created["id"])
    assert 295 <= first["distance_m"] <= 305
    moved_to = north_of(CENTRE, 250)
    r = await trust.cad.patch(f"/v1/incidents/{created['id']}", json={"lat": moved_to[0], "lon": moved_to[1]})
    assert r.status_code == 200, r.text
    again = await a.next("alert", incident_id=created["id"])
    assert again["alert_id"] == first["alert_id"] and 45 <= again["distance_m"] <= 55
    assert again["lat"] == moved_to[0]
    body = r.json()
    assert body["phase"] == "all" and [t["event"] for t in body["timeline"]].count("phase_fired") == 1
    outside = await trust.cad.patch(f"/v1/incidents/{created['id']}", json={"lat": 51.5, "lon": -0.12})
    assert outside.status_code == 422
    assert (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()["lat"] == moved_to[0]
    await a.close()
    await trust.close()


async def test_second_accepter_nearer_the_aed_fetches_it(stack):
    policy = {**TWO_PHASES, "accept_limit": 2}
    trust = await make_trust(stack, policy=policy)
    aed_at = north_of(CENTRE, 150)
    r = await trust.aed("aed-1", "Library", aed_at)
    assert r.status_code == 200 and r.json() == {"imported": 1, "warnings": []}
    await trust.responder("first", ["staff"])
    await trust.responder("second", ["staff"])
    s1 = await online(stack, trust, "first", north_of(CENTRE, -30))
    s2 = await online(stack, trust, "second", north_of(CENTRE, 180))
    created = (await trust.cad.post("/v1/incidents", json=incident("A-1"))).json()
    a1 = await s1.next("alert")
    a2 = await s2.next("alert")
    assert a1["aed"]["id"] == "aed-1" and 145 <= a1["aed"]["distance_m"] <= 155
    await s1.send(type="accept", alert_id=a1["alert_id"])
    assert (await s1.next("assigned"))["role"] == "scene"
    await s2.send(type="accept", alert_id=a2["alert_id"])
    assert (await s2.next("assigned"))["role"] == "aed"
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert status["status"] == "filled"
    assert {x["id"]: x["role"] for x in status["responders"]} == {"first": "scene", "second": "aed"}
    await s1.close()
    await s2.close()
    await trust.close()


async def test_unanswered_alerts_expire_and_the_incident_is_exhausted(stack):
    policy = {
        "phases": [{"name": "only", "groups": ["staff"], "radius_m": 300, "delay_s": 0}],
        "accept_limit": 1,
        "alert_ttl_s": 10,
    }
    trust = await make_trust(stack, policy=policy)
    await trust.responder("a", ["staff"])
    await trust.responder("b", ["staff"])
    a = await online(stack, trust, "a", north_of(CENTRE, 30))
    b = await online(stack, trust, "b", north_of(CENTRE, 60))
    created = (await trust.cad.post("/v1/incidents", json=incident("E-1"))).json()
    alert_a = await a.next("alert")
    alert_b = await b.next("alert")
    await b.send(type="decline", alert_id=alert_b["alert_id"])
    await b.roundtrip()
    down = await a.next("stand_down", timeout=30, alert_id=alert_a["alert_id"])
    assert down["reason"] == "expired"
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert status["status"] == "exhausted"
    assert {x["id"]: x["state"] for x in status["responders"]} == {"a": "expired", "b": "declined"}
    events = [t["event"] for t in status["timeline"]]
    assert events.count("incident.exhausted") == 1 and "responder.declined" in events
    await a.send(type="accept", alert_id=alert_a["alert_id"])
    assert (await a.next("stand_down", alert_id=alert_a["alert_id"]))["reason"] == "expired"
    await a.close()
    await b.close()
    await trust.close()
