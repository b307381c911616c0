"""Every CAD endpoint of the contract through HTTP on the real stack: what it answers, what it
refuses with which status, and that a refused request changes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.support.clients import CENTRE, make_trust, north_of, online


def incident(cad_ref: str, at=CENTRE, **extra):
    return {"cad_ref": cad_ref, "lat": at[0], "lon": at[1], "category": "09-E-01", "location_type": "public", **extra}


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.fixture(scope="module")
async def trust(stack):
    t = await make_trust(stack)
    yield t
    await t.close()


async def test_nearby_counts_by_group_without_identities(stack):
    trust = await make_trust(stack)
    for rid, groups in [
        ("s1", ["staff"]),
        ("s2", ["staff", "community"]),
        ("c1", ["community"]),
        ("far", ["staff"]),
        ("off", ["staff"]),
    ]:
        await trust.responder(rid, groups)
    socks = [
        await online(stack, trust, rid, north_of(CENTRE, metres))
        for rid, metres in [("s1", 100), ("s2", 300), ("c1", 800), ("far", 3000)]
    ]
    socks.append(await online(stack, trust, "off", north_of(CENTRE, 50), available=False))
    r = await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1]})
    assert r.status_code == 200 and r.json() == {"available": True, "by_group": {"staff": 2, "community": 2}}
    r = await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 200})
    assert r.json() == {"available": True, "by_group": {"staff": 1}}
    far_away = north_of(CENTRE, -5000)
    r = await trust.cad.get("/v1/nearby", params={"lat": far_away[0], "lon": far_away[1], "radius_m": 100})
    assert r.json() == {"available": False, "by_group": {}}

    problem(await trust.cad.get("/v1/nearby", params={"lon": CENTRE[1]}), 422)
    problem(await trust.cad.get("/v1/nearby", params={"lat": 91, "lon": CENTRE[1]}), 422)
    problem(await trust.cad.get("/v1/nearby", params={"lat": "nan", "lon": CENTRE[1]}), 422)
    problem(await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 0}), 422)
    problem(await trust.admin.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1]}), 404)  # not a CAD key
    async with stack.client() as anonymous:
        problem(await anonymous.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1]}), 401)
    for sock in socks:
        await sock.close()
    await trust.close()


LONG = "x" * 10_000
BASE = '"cad_ref": "B-1", "lat": 53.8, "lon": -1.55, "category": "09-E-01"'


@pytest.mark.parametrize(
    "name, body, status, loc",
    [
        ("missing lat", '{"cad_ref": "B-1", "lon": -1.55, "category": "09-E-01"}', 422, "lat"),
        ("lat 91", '{"cad_ref": "B-1", "lat": 91, "lon": -1.55, "category": "09-E-01"}', 422, "lat"),
        ("lon abc", '{"cad_ref": "B-1", "lat": 53.8, "lon": "abc", "category": "09-E-01"}', 422, "lon"),
        ("NaN", '{"cad_ref": "B-1", "lat": NaN, "lon": -1.55, "category": "09-E-01"}', 422, None),
        ("Infinity", '{"cad_ref": "B-1", "lat": 53.8, "lon": Infinity, "category": "09-E-01"}', 422, None),
        ("empty cad_ref", '{"cad_ref": "", "lat": 53.8, "lon": -1.55, "category": "09-E-01"}', 422, "cad_ref"),
        ("blank cad_ref", '{"cad_ref": "   ", "lat": 53.8, "lon": -1.55, "category": "09-E-01"}', 422, "cad_ref"),
        (
            "10,000-character cad_ref",
            f'{{"cad_ref": "{LONG}", "lat": 53.8, "lon": -1.55, "category": "09-E-01"}}',
            422,
            "cad_ref",
        ),
        ("bad location_type", f'{{{BASE}, "location_type": "home"}}', 422, "location_type"),
        ("unknown field", f'{{{BASE}, "priority": 1}}', 422, "priority"),
        ("callback not http", f'{{{BASE}, "callback_url": "file:///x"}}', 422, "callback_url"),
        ("not JSON", "cad_ref=B-1", 422, None),
        (
            "outside the area",
            '{"cad_ref": "B-1", "lat": 51.5007, "lon": -0.1246, "category": "09-E-01"}',
            422,
            "lat,lon",
        ),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(trust, name, body, status, loc):
    ref = f"B-{uuid.uuid4().hex[:8]}"
    r = await trust.cad.post(
        "/v1/incidents", content=body.replace("B-1", ref), headers={"Content-Type": "application/json"}
    )
    answer = problem(r, status)
    if loc is not None:
        assert loc in [e["loc"] for e in answer["errors"]], (name, answer)
    # Nothing was stored: the same cad_ref now creates an incident.
    created = await trust.cad.post("/v1/incidents", json=incident(ref))
    assert created.status_code == 201, (name, created.text)


async def test_body_over_the_limit_is_413(stack, trust):
    r = await trust.cad.post(
        "/v1/incidents", content=b"{" + b" " * 2_000_000 + b"}", headers={"Content-Type": "application/json"}
    )
    problem(r, 413)


async def test_wrong_or_missing_key_is_401_and_another_kind_of_key_is_404(stack, trust):
    async with stack.client("cad_not-a-real-key") as wrong:
        problem(await wrong.post("/v1/incidents", json=incident("K-1")), 401)
    async with stack.client() as anonymous:
        problem(await anonymous.post("/v1/incidents", json=incident("K-1")), 401)
    problem(await trust.admin.post("/v1/incidents", json=incident("K-1")), 404)
    assert (await trust.cad.post("/v1/incidents", json=incident("K-1"))).status_code == 201


async def test_the_cad_post_answers_as_the_routed_endpoints_do(stack, trust):
    """POST /v1/incidents is served past the routing (alerting/api/direct.py): its refusals carry
    the same headers, and the path's other methods are still the router's."""
    async with stack.client() as anonymous:
        problem(await anonymous.post("/v1/incidents", json=incident("D-1")), 401)
        r = await anonymous.post("/v1/incidents", json=incident("D-1"))
        assert r.headers["www-authenticate"] == "Bearer"
    r = await trust.cad.put("/v1/incidents", json=incident("D-1"))
    problem(r, 405)
    assert set(r.headers["allow"].split(", ")) >= {"GET", "POST"}
    created = await trust.cad.post("/v1/incidents?unknown=1", json=incident("D-1"))
    assert created.status_code == 201 and created.json()["effect"] == "created", created.text
    listed = await trust.cad.get("/v1/incidents")
    assert created.json()["id"] in {i["id"] for i in listed.json()}


async def test_the_same_cad_ref_in_two_trusts_is_two_incidents(stack, trust):
    other = await make_trust(stack)
    mine = await trust.cad.post("/v1/incidents", json=incident("SHARED-REF"))
    theirs = await other.cad.post("/v1/incidents", json=incident("SHARED-REF"))
    assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
    await other.close()


async def test_another_trusts_incident_is_404_everywhere_and_unchanged(stack, trust):
    other = await make_trust(stack)
    theirs = (await other.cad.post("/v1/incidents", json=incident("THEIRS-1"))).json()["id"]
    path = f"/v1/incidents/{theirs}"
    problem(await trust.cad.get(path), 404)
    problem(await trust.cad.patch(path, json={"notes": "mine now"}), 404)
    problem(await trust.cad.post(f"{path}/cancel", json={"reason": "x"}), 404)
    problem(await trust.cad.post(f"{path}/close"), 404)
    problem(await trust.cad.get("/v1/incidents/no-such-incident"), 404)
    status = (await other.cad.get(path)).json()
    assert status["status"] == "alerting" and status["notes"] is None
    await other.close()


async def test_patch_moves_recategorises_and_annotates_together(stack):
    trust = await make_trust(stack)
    await trust.responder("a", ["staff"])
    a = await online(stack, trust, "a", north_of(CENTRE, 100))
    created = (await trust.cad.post("/v1/incidents", json=incident("P-1"))).json()
    first = await a.next("alert", incident_id=created["id"])
    moved_to = north_of(CENTRE, 60)
    aed_at = north_of(CENTRE, 65)  # uploaded after the incident: the move finds it
    r = await trust.aed("aed-gate", "Gatehouse", aed_at)
    assert r.status_code == 200, r.text
    changes = {
        "lat": moved_to[0],
        "lon": moved_to[1],
        "category": "09-E-02",
        "notes": "Gate code 1234",
        "address": "Gatehouse, Park Row, Leeds LS1 5HD",
    }
    r = await trust.cad.patch(f"/v1/incidents/{created['id']}", json=changes)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {k: body[k] for k in changes} == changes
    assert body["aed"]["id"] == "aed-gate" and 4 <= body["aed"]["distance_m"] <= 6
    events = [t["event"] for t in body["timeline"]]
    assert {"moved", "recategorised", "notes_updated", "address_updated"} <= set(events)
    again = await a.next("alert", incident_id=created["id"])
    assert again["alert_id"] == first["alert_id"] and 35 <= again["distance_m"] <= 45
    assert again["address"] == "Gatehouse, Park Row, Leeds LS1 5HD"  # the move carries the new address

    for bad, loc in [
        ({"lat": 91}, "lat"),
        ({"category": ""}, "category"),
        ({"status": "closed"}, "status"),
        ({"lon": "abc"}, "lon"),
    ]:
        answer = problem(await trust.cad.patch(f"/v1/incidents/{created['id']}", json=bad), 422)
        assert loc in [e["loc"] for e in answer["errors"]]
    await a.close()
    await trust.close()


async def test_a_refused_patch_changes_nothing(stack, trust):
    created = (await trust.cad.post("/v1/incidents", json=incident("P-2", notes="first"))).json()
    path = f"/v1/incidents/{created['id']}"
    before = (await trust.cad.get(path)).json()
    answer = problem(
        await trust.cad.patch(path, json={"lat": 51.5007, "lon": -0.1246, "category": "09-D-01", "notes": "second"}),
        422,
    )
    assert "outside the trust's service area" in answer["detail"]
    assert (await trust.cad.get(path)).json() == before

    assert (await trust.cad.post(f"{path}/close")).status_code == 200
    closed = (await trust.cad.get(path)).json()
    answer = problem(await trust.cad.patch(path, json={"category": "09-D-01", "notes": "after the end"}), 409)
    assert "closed" in answer["detail"]
    answer = problem(await trust.cad.patch(path, json={"lat": north_of(CENTRE, 10)[0], "notes": "x"}), 409)
    assert (await trust.cad.get(path)).json() == closed


async def test_cancel_and_close_are_safe_to_retry(stack):
    trust = await make_trust(stack)
    await trust.responder("a", ["staff"])
    a = await online(stack, trust, "a", north_of(CENTRE, 30))
    created = (await trust.cad.post("/v1/incidents", json=incident("E-1"))).json()
    alert = await a.next("alert", incident_id=created["id"])
    path = f"/v1/incidents/{created['id']}"
    first = await trust.cad.post(f"{path}/cancel", json={"reason": "ROSC"})
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    await a.next("stand_down", alert_id=alert["alert_id"], reason="cancelled")
    retried = await trust.cad.post(f"{path}/cancel", json={"reason": "ROSC"})
    closed = await trust.cad.post(f"{path}/close")
    assert retried.status_code == closed.status_code == 200 and closed.json()["status"] == "cancelled"
    events = [t["event"] for t in closed.json()["timeline"]]
    assert events.count("incident.cancelled") == 1 and "incident.closed" not in events
    timeline = [t for t in closed.json()["timeline"] if t["event"] == "incident.cancelled"]
    assert timeline[0]["reason"] == "ROSC"
    problem(await trust.cad.post(f"{path}/cancel", json={"reason": "r" * 501}), 422)

    other = (await trust.cad.post("/v1/incidents", json=incident("E-2"))).json()
    second = await a.next("alert", incident_id=other["id"])
    r = await trust.cad.post(f"/v1/incidents/{other['id']}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert {x["id"]: x["state"] for x in r.json()["responders"]} == {"a": "stood_down"}
    await a.next("stand_down", alert_id=second["alert_id"], reason="closed")
    await a.close()
    await trust.close()
