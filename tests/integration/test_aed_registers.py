"""AED registers as their publishers write them, through PUT /v1/trusts/{trust}/aeds, and the AED an
incident is offered: the nearest that is not private and is open at the incident's time."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online
from tests.support.stack import Stack, free_port, make_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aeds"
GEOJSON = {"Content-Type": "application/geo+json"}
TRAFFORD = {
    "type": "Polygon",
    "coordinates": [[[-2.45, 53.36], [-2.25, 53.36], [-2.25, 53.48], [-2.45, 53.48], [-2.45, 53.36]]],
}
BERN = {"type": "Polygon", "coordinates": [[[7.38, 46.92], [7.48, 46.92], [7.48, 46.98], [7.38, 46.98], [7.38, 46.92]]]}
ACRE_HALL = (53.448269, -2.393184)  # the register's first AED, a primary school in Flixton


def incident(cad_ref, at, **extra):
    return {"cad_ref": cad_ref, "lat": at[0], "lon": at[1], "category": "09-E-01", "location_type": "public", **extra}


async def test_a_council_register_as_published_imports_as_geojson_and_as_csv(stack):
    trust = await make_trust(stack, area=TRAFFORD)
    url = f"/v1/trusts/{trust.id}/aeds"
    r = await trust.admin.put(url, content=(FIXTURES / "trafford_defibrillators.geojson").read_bytes(), headers=GEOJSON)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 185, "warnings": []}

    await trust.responder("t1", ["staff"])
    sock = await online(stack, trust, "t1", north_of(ACRE_HALL, 100))
    created = (await trust.cad.post("/v1/incidents", json=incident("TR-1", north_of(ACRE_HALL, 30)))).json()
    alert = await sock.next("alert", incident_id=created["id"])
    assert alert["aed"]["name"] == "Acre Hall Primary" and alert["aed"]["id"] == "at:53.44827,-2.39318"
    assert 29 < alert["aed"]["distance_m"] < 31

    # The same register as CSV: the same AEDs under the same ids.
    csv = (FIXTURES / "trafford_defibrillators.csv").read_bytes()
    r = await trust.admin.put(url, content=csv, headers={"Content-Type": "text/csv; charset=utf-8"})
    assert r.status_code == 200 and r.json()["imported"] == 185
    moved = (await trust.cad.post("/v1/incidents", json=incident("TR-2", north_of(ACRE_HALL, -20)))).json()
    view = (await trust.cad.get(f"/v1/incidents/{moved['id']}")).json()
    assert view["aed"]["id"] == "at:53.44827,-2.39318"
    await sock.close()
    await trust.close()


async def test_an_overpass_answer_imports_and_a_private_aed_is_never_offered(stack):
    policy = {**TWO_PHASES, "time_zone": "Europe/Zurich", "public_holidays": "CH"}
    trust = await make_trust(stack, area=BERN, policy=policy)
    r = await trust.admin.put(
        f"/v1/trusts/{trust.id}/aeds",
        content=(FIXTURES / "overpass-bern.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.json() == {"imported": 9, "warnings": []}
    at_the_private_one = (46.9456379, 7.4297874)  # node/4754554077, access=private, "First Floor, inside"
    created = (await trust.cad.post("/v1/incidents", json=incident("BE-1", at_the_private_one))).json()
    view = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert view["aed"] is not None and view["aed"]["id"] != "node/4754554077"
    assert view["aed"]["access"] != "private" and view["aed"]["distance_m"] > 100
    await trust.close()


async def test_fields_map_a_publishers_columns_and_refusals_name_the_row(stack):
    trust = await make_trust(stack)
    url = f"/v1/trusts/{trust.id}/aeds"
    near = north_of(CENTRE, 50)
    csv = f"Ref;Site;Public use;Hours;Eastings;Northings;Latitude;Longitude\nLCC-9;Civic Hall;yes;24/7;;;{near[0]};{near[1]}\n"
    r = await trust.admin.put(
        url,
        params={"id_field": "Ref", "name_field": "Site", "access_field": "Public use", "hours_field": "Hours"},
        content=csv.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200 and r.json()["imported"] == 1, r.text
    view = (
        await trust.cad.get(
            f"/v1/incidents/{(await trust.cad.post('/v1/incidents', json=incident('F-1', CENTRE))).json()['id']}"
        )
    ).json()
    assert {k: view["aed"][k] for k in ("id", "name", "access", "opening_hours")} == {
        "id": "LCC-9",
        "name": "Civic Hall",
        "access": "yes",
        "opening_hours": "24/7",
    }

    bad = b"Location,Latitude,Longitude\nok,53.8,-1.55\nbroken,53.8,west\n"
    r = await trust.admin.put(url, content=bad, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "nothing was imported" in r.json()["detail"]
    assert r.json()["errors"] == [
        {"index": 1, "id": None, "message": "Latitude and Longitude must be numbers (line 3)"}
    ]
    r = await trust.admin.put(url, content=b"<kml/>", headers={"Content-Type": "application/vnd.google-earth.kml+xml"})
    assert r.status_code == 415
    # The refused files changed nothing.
    again = (await trust.cad.post("/v1/incidents", json=incident("F-2", CENTRE))).json()
    assert (await trust.cad.get(f"/v1/incidents/{again['id']}")).json()["aed"]["id"] == "LCC-9"
    await trust.close()


async def test_a_policy_time_zone_must_exist(stack):
    trust = await make_trust(stack)
    for field, value in (("time_zone", "Europe/Leeds"), ("public_holidays", "ZZ")):
        r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, field: value})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == field, r.text
    await trust.close()


class NoWorker:
    def start(self) -> None: ...
    def stop(self) -> None: ...


class Clock:
    """Real time moved to a chosen local time, so the incident happens then."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def set(self, local: str) -> None:
        self.offset = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Europe/London")).timestamp() - time.time()


@pytest.fixture(scope="module")
async def own_clock(pg_url):
    s = Stack(make_settings(pg_url), free_port(), NoWorker())
    await s.start()
    services = s.server.config.app.state.services
    original, services.clock = services.clock, Clock()
    yield s, services.clock
    services.clock = original
    await s.stop()


@pytest.mark.parametrize(
    "local, offered",
    [
        ("2026-12-02T10:00", "node/9000000001"),  # a Wednesday morning: the school, 60 m away
        ("2026-12-02T19:00", "node/9000000003"),  # the school has shut: the corner shop, 250 m
        ("2026-12-02T03:00", "node/9000000004"),  # 3 a.m.: school and shop shut, the 24/7 station
        ("2026-12-25T10:00", "node/9000000003"),  # Christmas Day is a public holiday: PH off
    ],
)
async def test_the_aed_offered_is_the_nearest_open_at_the_incidents_time(own_clock, local, offered):
    stack, clock = own_clock
    trust = await make_trust(stack)
    r = await trust.admin.put(
        f"/v1/trusts/{trust.id}/aeds",
        content=(FIXTURES / "overpass-hours-constructed.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["imported"] == 5
    assert [w["id"] for w in r.json()["warnings"]] == ["way/900000005", None]
    clock.set(local)
    created = (await trust.cad.post("/v1/incidents", json=incident(f"H-{local}", CENTRE))).json()
    aed = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()["aed"]
    assert aed["id"] == offered, aed
    await trust.close()


async def test_a_register_larger_than_an_api_call_is_accepted(stack):
    trust = await make_trust(stack)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-1.69 + (i % 100) * 0.0028, 53.71 + (i // 100) * 0.0015]},
            "properties": {"Location": f"Cabinet {i}", "Notes": "Scheme: community public access " + "x" * 40},
        }
        for i in range(12_000)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    assert len(body) > stack.settings.max_body_bytes
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/aeds", content=body, headers=GEOJSON)
    assert r.status_code == 200 and r.json()["imported"] == 12_000, r.text[:300]
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/groups", content=body, headers=GEOJSON)
    assert r.status_code == 413  # only the register uploads may be this large
    await trust.close()
