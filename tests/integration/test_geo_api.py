"""Geography through the public contract: AED import, service areas, /v1/nearby and ETAs."""

from __future__ import annotations

import math

from geo.distance import haversine_m
from geo.index import ResponderIndex
from tests.support.clients import CENTRE, make_trust, north_of, online


def feature(fid, at, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [at[1], at[0]]},
        "properties": {"id": fid, **props},
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def incident(cad_ref, at=CENTRE, **extra):
    return {"cad_ref": cad_ref, "lat": at[0], "lon": at[1], "category": "09-E-01", "location_type": "public", **extra}


async def test_aed_import_is_validated_all_or_nothing_and_the_nearest_goes_in_the_alert(stack):
    trust = await make_trust(stack)
    url = f"/v1/trusts/{trust.id}/aeds"
    near, far = north_of(CENTRE, 120), north_of(CENTRE, 400)
    r = await trust.admin.put(
        url,
        json=collection(
            feature("far", far, name="Station"),
            feature("near", near, name="Library", access="24/7"),
            feature("too-far", north_of(CENTRE, -5000)),
        ),
    )
    assert r.status_code == 200 and r.json() == {"imported": 3, "warnings": []}

    bad = collection(
        feature("ok", near),
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "properties": {"id": "line"},
        },
        feature("ok", far),
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.5, 95.0]}, "properties": {"id": "north"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["x", 53.8]}, "properties": {"id": "nan"}},
        {"type": "Feature", "geometry": None, "properties": {}},
    )
    r = await trust.admin.put(url, json=bad)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "nothing was imported" in r.json()["detail"]
    errors = {e["index"]: e for e in r.json()["errors"]}
    assert sorted(errors) == [1, 2, 3, 4, 5]
    assert errors[1]["id"] == "line" and "Point" in errors[1]["message"]
    assert errors[2]["id"] == "ok" and "duplicate" in errors[2]["message"] and "feature 0" in errors[2]["message"]
    assert "latitude" in errors[3]["message"]
    assert "coordinates" in errors[4]["message"]
    assert errors[5]["id"] is None and "Point" in errors[5]["message"]
    r = await trust.admin.put(url, json={"type": "Feature"})
    assert r.status_code == 422 and r.json()["errors"][0]["index"] == -1

    # The failed imports changed nothing: the first file's nearest AED is the one in the alert.
    await trust.responder("a", ["staff"])
    sock = await online(stack, trust, "a", north_of(CENTRE, 50))
    created = (await trust.cad.post("/v1/incidents", json=incident("AED-1"))).json()
    alert = await sock.next("alert", incident_id=created["id"])
    assert alert["aed"]["id"] == "near" and alert["aed"]["name"] == "Library" and alert["aed"]["access"] == "24/7"
    assert alert["aed"]["distance_m"] == round(haversine_m(*CENTRE, *near), 1)
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert status["aed"]["id"] == "near"

    # Redis losing the AEDs costs nothing: they come back from the database.
    await stack.redis.delete(
        *[k async for k in stack.redis.scan_iter(match=f"{stack.settings.redis_prefix}{{t:{trust.id}}}:aed:*")]
    )
    far_incident = (await trust.cad.post("/v1/incidents", json=incident("AED-2", at=north_of(CENTRE, 420)))).json()
    alert = await sock.next("alert", incident_id=far_incident["id"])
    assert alert["aed"]["id"] == "far" and alert["aed"]["distance_m"] <= 21

    # No AED within reach (aed_max_distance_m): the alert carries none.
    lonely = north_of(CENTRE, -9_000)  # 4 km from the nearest AED, inside the area
    await trust.responder("b", ["staff"])  # another responder: a's next position within 1 s would be dropped
    there = await online(stack, trust, "b", lonely)
    nowhere = (await trust.cad.post("/v1/incidents", json=incident("AED-3", at=lonely))).json()
    alert = await there.next("alert", incident_id=nowhere["id"])
    assert "aed" not in alert
    await sock.close()
    await there.close()
    await trust.close()


async def test_incident_outside_the_service_area_is_refused_and_nothing_is_recorded(stack):
    trust = await make_trust(stack)
    r = await trust.cad.post("/v1/incidents", json=incident("OUT-1", at=(51.5, -0.12)))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "outside the trust's service area" in r.json()["detail"]
    r = await trust.cad.post("/v1/incidents", json=incident("OUT-1"))
    assert r.status_code == 201  # the same cad_ref was never recorded


async def test_nearby_counts_by_group_from_the_live_index_and_eta_in_status(stack):
    trust = await make_trust(stack)
    other = await make_trust(stack)
    for rid, groups in [
        ("s1", ["staff"]),
        ("s2", ["staff", "community"]),
        ("c1", ["community"]),
        ("away", ["staff"]),
        ("distant", ["community"]),
    ]:
        await trust.responder(rid, groups)
    await other.responder("stranger", ["staff"])
    socks = [
        await online(stack, trust, "s1", north_of(CENTRE, 100)),
        await online(stack, trust, "s2", north_of(CENTRE, 300)),
        await online(stack, trust, "c1", north_of(CENTRE, 800)),
        await online(stack, trust, "away", north_of(CENTRE, 50), available=False),
        await online(stack, trust, "distant", north_of(CENTRE, 3000)),
        # Another trust's responder standing in this trust's area is never counted or alerted here.
        await online(stack, other, "stranger", north_of(CENTRE, 10)),
    ]
    r = await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 1000})
    assert r.status_code == 200 and r.json() == {"available": True, "by_group": {"community": 2, "staff": 2}}
    r = await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 200})
    assert r.json() == {"available": True, "by_group": {"staff": 1}}
    r = await trust.cad.get("/v1/nearby", params={"lat": north_of(CENTRE, -5000)[0], "lon": CENTRE[1]})
    assert r.json() == {"available": False, "by_group": {}}
    r = await trust.cad.get("/v1/nearby", params={"lat": 91, "lon": CENTRE[1]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")

    # Availability flips are seen at once.
    await socks[0].send(type="availability", available=False)
    await socks[0].roundtrip()
    r = await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 200})
    assert r.json() == {"available": False, "by_group": {}}
    await socks[0].send(type="availability", available=True)
    await socks[0].roundtrip()

    created = (await trust.cad.post("/v1/incidents", json=incident("ETA-1"))).json()
    assert created["alerted"] == 1
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    [s1] = status["responders"]
    assert s1["id"] == "s1" and 99 <= s1["distance_m"] <= 101
    speed, factor = stack.settings.walking_speed_mps, stack.settings.route_factor
    assert s1["eta_s"] == math.ceil(s1["distance_m"] * factor / speed)
    for sock in socks:
        await sock.close()
    await trust.close()
    await other.close()


async def test_index_rebuilds_a_lost_profile_from_the_database(stack):
    trust = await make_trust(stack)
    await trust.responder("a", ["staff"])
    base = ResponderIndex(stack.redis, prefix=stack.settings.redis_prefix).base(trust.id)
    await stack.redis.delete(*[k async for k in stack.redis.scan_iter(match=base + "*")])
    sock = await online(stack, trust, "a", north_of(CENTRE, 40))
    created = (await trust.cad.post("/v1/incidents", json=incident("LOST-1"))).json()
    assert created["alerted"] == 1
    await sock.next("alert", incident_id=created["id"])
    await sock.close()
    await trust.close()
