"""Validation at the door: what the API accepts can always be used by the next incident.

Each bad input answers 4xx problem+json on a connection that stays open, and changes nothing.
"""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import update

from alerting import metrics
from alerting.services.context import build_services
from alerting.store.models import PolicyVersion, Responder
from alerting.timefmt import utc
from geo.index import LocationUpdate, Profile
from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online

PROBLEM = "application/problem+json"
EIDO, GEOJSON, KML = "application/eido+json", "application/geo+json", "application/vnd.google-earth.kml+xml"
DEEP = 1_000


def incident(ref: str, at: tuple[float, float] = CENTRE) -> dict:
    return {"cad_ref": ref, "lat": at[0], "lon": at[1], "category": "09-E-01", "location_type": "public"}


def _peer(r: httpx.Response) -> object:
    return r.extensions["network_stream"].get_extra_info("client_addr")


async def refused(client: httpx.AsyncClient, method: str, url: str, *, status: int = 422, **kw) -> dict:
    """The request answers `status` problem+json and the same connection carries the next request."""
    r = await client.request(method, url, **kw)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    after = await client.get("/healthz")
    assert after.status_code == 200
    assert _peer(after) == _peer(r), "the connection was dropped after the refusal"
    return r.json()


@pytest.fixture
async def trust(stack):
    t = await make_trust(stack)
    yield t
    await t.close()


async def test_an_unknown_time_zone_is_refused_on_create_patch_and_import(stack, trust):
    base = f"/v1/trusts/{trust.id}/responders"
    bad = {"start": "23:00", "end": "07:00", "tz": "Mars/Olympus"}
    body = await refused(
        trust.admin, "POST", base, json={"id": "tz1", "name": "A", "groups": ["staff"], "quiet_hours": bad}
    )
    assert "IANA" in body["detail"]
    assert (await trust.admin.get(f"{base}/tz1")).status_code == 404
    await trust.responder("tz2", ["staff"])
    await refused(trust.admin, "PATCH", f"{base}/tz2", json={"quiet_hours": bad})
    assert (await trust.admin.get(f"{base}/tz2")).json()["quiet_hours"] is None
    ok = {"start": "23:00", "end": "07:00", "tz": "Europe/Paris"}
    assert (await trust.admin.patch(f"{base}/tz2", json={"quiet_hours": ok})).status_code == 200


async def test_a_stored_record_that_cannot_be_evaluated_is_passed_over_and_the_rest_are_alerted(stack, trust):
    await trust.responder("good", ["staff"])
    await trust.responder("legacy", ["staff"])
    # A record saved before the zone was checked (or edited in the database) cannot be read at an incident.
    services = build_services(stack.settings)
    try:
        async with services.sessions() as session, session.begin():
            await session.execute(
                update(Responder)
                .where(Responder.trust_id == trust.id, Responder.id == "legacy")
                .values(quiet_hours={"start": "23:00", "end": "07:00", "tz": "Mars/Olympus"})
            )
    finally:
        await services.aclose()
    socks = [await online(stack, trust, rid, north_of(CENTRE, d)) for rid, d in (("good", 80), ("legacy", 50))]
    counter = metrics.CANDIDATES_SKIPPED.labels(reason="quiet_hours")
    before = counter._value.get()
    r = await trust.cad.post("/v1/incidents", json=incident("TZ-LEGACY-1"))
    assert r.status_code == 201, r.text
    assert r.json()["alerted"] == 1
    await socks[0].next("alert")
    status = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
    skipped = {(t["responder"], t["reason"]) for t in status["timeline"] if t["event"] == "responder_skipped"}
    assert ("legacy", "unreadable_record") in skipped
    assert counter._value.get() == before + 1
    for s in socks:
        await s.close()


async def test_a_policy_saved_before_the_bounds_still_alerts(stack, trust):
    await trust.responder("near", ["staff"])
    version = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"]
    legacy = {
        "phases": [
            {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
            {"name": "later", "groups": ["staff"], "radius_m": 1000, "delay_s": 1e12},
        ],
        "accept_limit": True,
    }
    services = build_services(stack.settings)
    try:
        async with services.sessions() as session, session.begin():
            session.add(
                PolicyVersion(
                    trust_id=trust.id,
                    version=version + 1,
                    body=legacy,
                    created_at=utc(services.clock()),
                    created_by="legacy",
                )
            )
    finally:
        await services.aclose()
    sock = await online(stack, trust, "near", north_of(CENTRE, 50))
    r = await trust.cad.post("/v1/incidents", json=incident("LEGACY-POLICY-1"))
    assert r.status_code == 201, r.text
    assert r.json()["alerted"] == 1
    await sock.next("alert", incident_id=r.json()["id"])
    status = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
    assert status["policy_version"] == version + 1 and status["accept_limit"] == 1
    await sock.close()


@pytest.mark.parametrize(
    "change",
    [
        {"delay_s": 1e12},
        {"delay_s": 86_401},
        {"delay_s": -1},
        {"delay_s": True},
        {"radius_m": True},
        {"max_alerts": 0},
        {"max_alerts": True},
        {"max_alerts": 10_001},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
async def test_a_phase_out_of_bounds_is_refused_and_the_policy_unchanged(stack, trust, change):
    policy = {**TWO_PHASES, "phases": [{**TWO_PHASES["phases"][0], **change}, TWO_PHASES["phases"][1]]}
    body = await refused(trust.admin, "PUT", f"/v1/trusts/{trust.id}/policy", json=policy)
    assert body["errors"][0]["loc"].endswith(next(iter(change))), body
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == 1
    assert (await trust.cad.post("/v1/incidents", json=incident("BOUNDS-1"))).status_code == 201


@pytest.mark.parametrize(
    "change",
    [
        {"accept_limit": True},
        {"accept_limit": 1_001},
        {"alert_ttl_s": False},
        {"alert_ttl_s": 86_401},
        {"location_max_age_s": 1e12},
        {"max_alerts_per_hour": True},
        {"ack_timeout_s": True},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
async def test_a_policy_field_out_of_bounds_or_of_the_wrong_type_is_refused(stack, trust, change):
    await refused(trust.admin, "PUT", f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, **change})
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == 1


async def test_a_phase_a_day_after_the_call_is_accepted_and_incidents_still_open(stack, trust):
    policy = {**TWO_PHASES, "phases": [TWO_PHASES["phases"][0], {**TWO_PHASES["phases"][1], "delay_s": 86_400}]}
    assert (await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=policy)).status_code == 200
    assert (await trust.cad.post("/v1/incidents", json=incident("A-DAY-1"))).status_code == 201


@pytest.mark.parametrize(
    "path,body",
    [
        ("keys/rotate", {"grace_s": False}),
        ("admin-key/rotate", {"grace_s": False}),
    ],
)
async def test_a_boolean_grace_is_refused_and_the_previous_key_keeps_working(stack, trust, path, body):
    url = f"/v1/trusts/{trust.id}/{path}"
    await refused(trust.admin, "POST", url, json=body)
    assert (await trust.cad.get(f"/v1/nearby?lat={CENTRE[0]}&lon={CENTRE[1]}")).status_code == 200
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).status_code == 200


async def test_booleans_are_not_coordinates(stack, trust):
    await refused(trust.cad, "POST", "/v1/incidents", json={**incident("BOOL-1"), "lat": True})
    await refused(trust.cad, "GET", "/v1/nearby?lat=true&lon=-1.55")
    token = await trust.responder("b1", ["staff"])
    async with stack.client(token) as me:
        await refused(me, "PUT", "/v1/me/location", json={"lat": True, "lon": -1.55})
        await refused(me, "PUT", "/v1/me/location", json={"lat": 53.8, "lon": -1.55, "accuracy_m": True})
    incident_id = (await trust.cad.post("/v1/incidents", json=incident("BOOL-1"))).json()["id"]
    await refused(trust.cad, "PATCH", f"/v1/incidents/{incident_id}", json={"lon": False})


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_deep_nesting_is_refused_on_every_door(stack, trust):
    ref = {"incidentComponent": [{"incidentTrackingIdentifier": "DEEP-1"}], "x": "<deep>"}
    eido = json.dumps(ref).replace('"<deep>"', _nested(DEEP))
    await refused(trust.cad, "POST", "/v1/incidents", content=eido, headers={"Content-Type": EIDO})

    zones = f"/v1/trusts/{trust.id}/policy/zones"
    body = '{"type": "FeatureCollection", "features": ' + _nested(DEEP) + "}"
    await refused(trust.admin, "PUT", zones, content=body, headers={"Content-Type": GEOJSON})
    square = {
        "type": "Polygon",
        "coordinates": [[[-1.6, 53.7], [-1.5, 53.7], [-1.5, 53.9], [-1.6, 53.9], [-1.6, 53.7]]],
    }
    feature = {"type": "Feature", "geometry": square, "properties": {"name": "deep", "phases": _nested(DEEP)}}
    collection = json.dumps({"type": "FeatureCollection", "features": [feature]})
    await refused(trust.admin, "PUT", zones, content=collection, headers={"Content-Type": GEOJSON})
    kml = (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>deep</name>'
        f'<ExtendedData><Data name="phases"><value>{_nested(DEEP)}</value></Data></ExtendedData>'
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>-1.6,53.7 -1.5,53.7 -1.5,53.9 -1.6,53.9 -1.6,53.7"
        "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"
    )
    await refused(trust.admin, "PUT", zones, content=kml, headers={"Content-Type": KML})

    deep_area = '{"type": "Polygon", "coordinates": ' + _nested(DEEP) + "}"
    policy = json.dumps({**TWO_PHASES, "zones": [{"name": "z", "phases": TWO_PHASES["phases"], "area": "<a>"}]})
    await refused(
        trust.admin,
        "PUT",
        f"/v1/trusts/{trust.id}/policy",
        content=policy.replace('"<a>"', deep_area),
        headers={"Content-Type": "application/json"},
        status=400,
    )
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == 1


async def test_a_nul_in_a_csv_row_fails_that_row_only(stack, trust):
    csv = "id,name,groups,skills\nc1,One,staff,\nc2,Two,staff,first\x00aid\nc3,Thr\x00ee,staff,\nc4,Four,staff,\n"
    r = await trust.admin.post(
        f"/v1/trusts/{trust.id}/responders/import", content=csv.encode(), headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 200
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert lines[-1] == {"type": "done", "total": 4, "created": 2, "failed": 2}
    assert {row["id"]: row["ok"] for row in lines if row["type"] == "row"} == {
        "c1": True,
        "c2": False,
        "c3": False,
        "c4": True,
    }
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders/c4")).status_code == 200
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders/c2")).status_code == 404


async def test_a_nul_in_a_skill_is_refused_as_in_a_name(stack, trust):
    base = f"/v1/trusts/{trust.id}/responders"
    await refused(trust.admin, "POST", base, json={"id": "s1", "name": "A", "groups": ["staff"], "skills": ["a\x00"]})
    assert (await trust.admin.get(f"{base}/s1")).status_code == 404
    await trust.responder("s2", ["staff"])
    await refused(trust.admin, "PATCH", f"{base}/s2", json={"skills": ["first\x00aid"]})


@pytest.mark.parametrize("max_alerts,expected", [(None, 150), (20, 20)])
async def test_a_phase_alerts_everyone_eligible_unless_it_sets_a_cap(stack, max_alerts, expected):
    phase = {"name": "everyone", "groups": ["staff"], "radius_m": 3000, "delay_s": 0}
    if max_alerts is not None:
        phase["max_alerts"] = max_alerts
    trust = await make_trust(stack, policy={**TWO_PHASES, "phases": [phase], "accept_limit": 2})
    ids = [f"m{i:03d}" for i in range(150)]
    csv = "id,name,groups\n" + "".join(f"{rid},Responder {rid},staff\n" for rid in ids)
    r = await trust.admin.post(
        f"/v1/trusts/{trust.id}/responders/import", content=csv.encode(), headers={"Content-Type": "text/csv"}
    )
    assert json.loads(r.text.splitlines()[-1])["created"] == 150
    services = build_services(stack.settings)
    try:
        now = services.clock()
        await services.index.set_profiles(trust.id, [Profile(rid, ("staff",), True, True) for rid in ids], now=now)
        await services.index.upsert_many(
            trust.id, [LocationUpdate(rid, *north_of(CENTRE, 10 + 19 * i), 5.0, now) for i, rid in enumerate(ids)]
        )
    finally:
        await services.aclose()
    r = await trust.cad.post("/v1/incidents", json=incident(f"CAP-{max_alerts}"))
    assert r.status_code == 201 and r.json()["alerted"] == expected, r.text
    await trust.close()
