"""Incidents located on the British National Grid (EPSG:27700), as UK ambulance CADs send them."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.distance import haversine_m
from tests.support.clients import make_trust, north_of, online

# OS's OSTN15 test point TP20, in Leeds: its National Grid position and OS's ETRS89 answer.
TP20_GRID = (422242.186, 433818.701)
TP20 = (53.80021519630, -1.66379168242)


def by_grid(cad_ref: str, easting: float, northing: float, **extra):
    return {"cad_ref": cad_ref, "easting": easting, "northing": northing, "category": "09-E-01", **extra}


@pytest.fixture(scope="module")
async def trust(stack):
    t = await make_trust(stack)
    yield t
    await t.close()


async def test_an_incident_given_as_easting_and_northing_alerts_the_responders_near_it(stack, trust):
    await trust.responder("g1", ["staff"])
    sock = await online(stack, trust, "g1", north_of(TP20, 80))
    r = await trust.cad.post("/v1/incidents", json=by_grid("GRID-1", *TP20_GRID, location_type="public"))
    assert r.status_code == 201, r.text
    created = r.json()
    view = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert haversine_m(view["lat"], view["lon"], *TP20) < 0.01
    alert = await sock.next("alert", incident_id=created["id"])
    assert haversine_m(alert["lat"], alert["lon"], *TP20) < 0.01

    # Moved by grid reference too: 100 m north on the grid is about 100 m north on the ground.
    r = await trust.cad.patch(
        f"/v1/incidents/{created['id']}", json={"easting": TP20_GRID[0], "northing": TP20_GRID[1] + 100}
    )
    assert r.status_code == 200, r.text
    view = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert 99 < haversine_m(view["lat"], view["lon"], *TP20) < 101
    await sock.close()


@pytest.mark.parametrize(
    "body, loc, says",
    [
        ({"easting": 422242.0}, "northing", "required with easting"),
        ({"northing": 433818.0}, "easting", "required with northing"),
        ({"lat": 53.8}, "lon", "required with lat"),
        ({"easting": 422242.0, "northing": 433818.0, "lat": 53.8, "lon": -1.66}, "easting", "not both"),
        ({}, "lat", "easting and northing"),
        ({"easting": 422242.0, "northing": 1_300_001.0}, "northing", "less than or equal"),
        ({"easting": "SE 222 338", "northing": 433818.0}, "easting", "number"),
        ({"easting": 700_000.0, "northing": 1_300_000.0}, "easting,northing", "outside the area OSTN15 covers"),
    ],
)
async def test_a_point_that_is_not_exactly_one_whole_pair_is_refused_naming_the_field(trust, body, loc, says):
    r = await trust.cad.post("/v1/incidents", json={"cad_ref": "GRID-BAD", "category": "09-E-01", **body})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    error = r.json()["errors"][0]
    assert error["loc"] == loc and says in error["msg"], error


async def test_a_patch_with_half_a_grid_reference_is_refused_and_changes_nothing(trust):
    created = (await trust.cad.post("/v1/incidents", json=by_grid("GRID-2", *TP20_GRID))).json()
    before = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    r = await trust.cad.patch(f"/v1/incidents/{created['id']}", json={"northing": 433900.0, "notes": "moved"})
    assert r.status_code == 422 and r.json()["errors"] == [{"loc": "easting", "msg": "required with northing"}]
    view = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert (view["lat"], view["lon"], view["notes"]) == (before["lat"], before["lon"], None)


async def test_a_grid_reference_outside_the_service_area_is_refused_like_any_point(trust):
    london = (530624.974, 178388.464)  # OS test point TP09
    r = await trust.cad.post("/v1/incidents", json=by_grid("GRID-3", *london))
    assert r.status_code == 422 and "outside the trust's service area" in r.json()["detail"]


async def test_an_eido_with_a_national_grid_point_is_placed_by_it(trust):
    sample = (Path(__file__).resolve().parents[1] / "fixtures" / "cad" / "eido_street_point.json").read_text()
    wgs84 = '<gml:Point srsName=\\"urn:ogc:def:crs:EPSG::4326\\"><gml:pos>53.80012 -1.54987</gml:pos></gml:Point>'
    on_grid = (
        '<gml:Point srsName=\\"urn:ogc:def:crs:EPSG::27700\\"><gml:pos>422242.186 433818.701</gml:pos></gml:Point>'
    )
    assert wgs84 in sample
    r = await trust.cad.post(
        "/v1/incidents",
        content=sample.replace(wgs84, on_grid).replace("7f3c1a90e2", "grid000001"),
        headers={"Content-Type": "application/eido+json"},
    )
    assert r.status_code == 201, r.text
    view = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
    assert haversine_m(view["lat"], view["lon"], *TP20) < 0.01
