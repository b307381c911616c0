"""Zones and location types through the public contract: who is alerted where, and zone files in and out."""

from __future__ import annotations

import asyncio
import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support.clients import CENTRE, M_PER_DEG_LAT, make_trust, north_of, online
from tests.support.stack import ROOT, env_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"
KML = "application/vnd.google-earth.kml+xml"
BOUNDARY_LAT = 53.85  # the city zone's northern edge is the rural zone's southern edge


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0], point[1] + metres / (M_PER_DEG_LAT * math.cos(math.radians(point[0])))


def box(lon0, lat0, lon1, lat1):
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


ZONED = {
    "phases": [{"name": "trusted", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}],
    "accept_limit": 2,
    "categories": ["09-E-*"],
    "zones": [
        {
            "name": "city",
            "area": box(-1.60, 53.80, -1.50, BOUNDARY_LAT),
            "accept_limit": 1,
            "phases": [{"name": "staff", "groups": ["staff"], "radius_m": 200, "delay_s": 0}],
        },
        {
            "name": "rural north",
            "area": box(-1.70, BOUNDARY_LAT, -1.40, 53.90),
            "phases": [{"name": "everyone", "groups": ["staff", "community"], "radius_m": 3000, "delay_s": 0}],
        },
    ],
}


def incident(cad_ref, at, location_type="public"):
    return {"cad_ref": cad_ref, "lat": at[0], "lon": at[1], "category": "09-E-01", "location_type": location_type}


async def test_the_same_responders_at_the_same_distance_are_alerted_as_each_zone_says(stack):
    trust = await make_trust(stack, policy=ZONED)
    on_edge = (BOUNDARY_LAT, -1.55)
    city_at, rural_at = (BOUNDARY_LAT - 100 / M_PER_DEG_LAT, -1.55), north_of(on_edge, 100)
    where = {
        "staff-near": east_of(on_edge, 150),
        "community-near": east_of(on_edge, 120),
        "staff-far": east_of(on_edge, 2000),
        "community-beyond": east_of(on_edge, 3500),
    }
    socks = {}
    for rid, at in where.items():
        await trust.responder(rid, ["staff" if rid.startswith("staff") else "community"])
        socks[rid] = await online(stack, trust, rid, at)

    city = (await trust.cad.post("/v1/incidents", json=incident("Z-CITY", city_at))).json()
    rural = (await trust.cad.post("/v1/incidents", json=incident("Z-RURAL", rural_at))).json()
    assert (city["phase"], rural["phase"]) == ("staff", "everyone")

    city_view = (await trust.cad.get(f"/v1/incidents/{city['id']}")).json()
    rural_view = (await trust.cad.get(f"/v1/incidents/{rural['id']}")).json()
    assert {r["id"] for r in city_view["responders"]} == {"staff-near"}
    assert {r["id"] for r in rural_view["responders"]} == {"staff-near", "community-near", "staff-far"}
    same = {r["id"]: r["distance_m"] for r in city_view["responders"]}["staff-near"]
    assert abs(same - {r["id"]: r["distance_m"] for r in rural_view["responders"]}["staff-near"]) < 1
    assert (city_view["zone"], city_view["accept_limit"]) == ("city", 1)
    assert (rural_view["zone"], rural_view["accept_limit"]) == ("rural north", 2)
    assert city_view["timeline"][0]["rules"] == "zone city, policy v1"
    assert rural_view["timeline"][0]["rules"] == "zone rural north, policy v1"

    assert {(await socks["staff-near"].next("alert"))["incident_id"] for _ in range(2)} == {city["id"], rural["id"]}
    for rid in ("community-near", "staff-far"):
        assert (await socks[rid].next("alert"))["incident_id"] == rural["id"]
    for rid, sock in socks.items():
        await sock.roundtrip()
        assert sock.taken("alert") == [], rid
        await sock.close()
    await trust.close()


async def test_a_public_only_responder_next_door_is_sent_to_a_public_place_but_never_into_a_home(stack):
    policy = {
        "phases": [
            {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
            {"name": "everyone", "groups": ["staff", "community"], "radius_m": 1000, "delay_s": 0},
        ],
        "accept_limit": 1,
        "categories": ["09-E-*"],
    }
    trust = await make_trust(stack, policy=policy)
    groups = (await trust.admin.get(f"/v1/trusts/{trust.id}/groups")).json()
    assert {g["id"]: g["private_locations"] for g in groups} == {"community": False, "staff": True}
    await trust.responder("neighbour", ["community"])
    sock = await online(stack, trust, "neighbour", north_of(CENTRE, 50))

    home = (await trust.cad.post("/v1/incidents", json=incident("H-1", CENTRE, "private"))).json()
    untyped = {k: v for k, v in incident("H-2", CENTRE).items() if k != "location_type"}  # defaults to unknown
    unsure = (await trust.cad.post("/v1/incidents", json=untyped)).json()
    street = (await trust.cad.post("/v1/incidents", json=incident("S-1", CENTRE, "public"))).json()
    assert (home["alerted"], unsure["alerted"], street["alerted"]) == (0, 0, 1)

    alert = await sock.next("alert")  # alerts reach one socket in order: a home alert would have come first
    assert alert["incident_id"] == street["id"] and 45 <= alert["distance_m"] <= 55
    await sock.roundtrip()
    assert sock.taken("alert") == []
    for created, kind in ((home, "private"), (unsure, "unknown")):
        view = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
        fired = [t for t in view["timeline"] if t["event"] == "phase_fired"]
        assert view["location_type"] == kind and [f["phase"] for f in fired] == ["trusted", "everyone"]
        assert all(f["groups"] == ["staff"] and f["alerted"] == [] for f in fired)
    await sock.close()
    await trust.close()


async def test_a_kml_with_one_broken_placemark_imports_nothing_and_a_good_one_becomes_a_version(stack):
    trust = await make_trust(stack)
    url = f"/v1/trusts/{trust.id}/policy/zones"
    before = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()

    r = await trust.admin.put(
        url, content=(FIXTURES / "leeds-zones-broken.kml").read_bytes(), headers={"Content-Type": KML}
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [
        {
            "loc": "placemark[2].area",
            "name": "Otley Road",
            "msg": "the area is not a valid polygon: Self-intersection[-1.585 53.83]",
        }
    ]
    assert "nothing was imported" in r.json()["detail"]
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json() == before
    assert (await trust.admin.get(url)).json()["features"] == []

    good = (FIXTURES / "leeds-zones.kml").read_bytes()
    kmz = io.BytesIO()
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", good)
    dry = await trust.admin.put(
        url,
        params={"dry_run": "true"},
        content=kmz.getvalue(),
        headers={"Content-Type": "application/vnd.google-earth.kmz"},
    )
    assert dry.status_code == 200 and dry.json()["version"] is None
    assert [z["name"] for z in dry.json()["zones"]] == ["City centre", "Rural north", "Reservoirs"]
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == before["version"]

    r = await trust.admin.put(url, content=good, headers={"Content-Type": KML + "; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == before["version"] + 1
    assert [z["name"] for z in r.json()["zones"]] == ["City centre", "Rural north", "Reservoirs"]
    exported = await trust.admin.get(url)
    assert exported.headers["content-type"] == "application/geo+json"
    features = exported.json()["features"]
    assert [f["properties"]["name"] for f in features] == ["City centre", "Rural north", "Reservoirs"]
    assert features[0]["properties"]["accept_limit"] == 1 and features[2]["geometry"]["type"] == "MultiPolygon"

    # The KML export imports back to the same zones.
    as_kml = await trust.admin.get(url, params={"format": "kml"})
    assert as_kml.headers["content-type"].startswith(KML)
    again = await trust.admin.put(url, content=as_kml.content, headers={"Content-Type": KML})
    assert again.status_code == 200 and again.json()["version"] == before["version"] + 2
    assert [f["properties"] for f in (await trust.admin.get(url)).json()["features"]] == [
        f["properties"] for f in features
    ]

    created = (await trust.cad.post("/v1/incidents", json=incident("K-1", (53.80, -1.545)))).json()
    view = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert (
        view["zone"] == "City centre"
        and view["timeline"][0]["rules"] == f"zone City centre, policy v{before['version'] + 2}"
    )

    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()
    assert [a["target"] for a in audit if a["action"] == "policy.update"][:2] == [
        f"policy v{before['version'] + 2}",
        f"policy v{before['version'] + 1}",
    ]
    await trust.close()


async def test_zone_uploads_are_refused_cleanly(stack):
    trust = await make_trust(stack, policy=None)
    url = f"/v1/trusts/{trust.id}/policy/zones"
    good = (FIXTURES / "leeds-zones.kml").read_bytes()
    r = await trust.admin.put(url, content=good, headers={"Content-Type": KML})
    assert r.status_code == 409 and "no policy yet" in r.json()["detail"]
    outside = {**ZONED, "zones": [{**ZONED["zones"][0], "area": box(-0.2, 51.4, -0.1, 51.5)}]}  # London, not Leeds
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=outside)
    assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == ["zones[0].area"]
    assert (await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=ZONED)).status_code == 200

    r = await trust.admin.put(url, content=b"name,lat,lon\n", headers={"Content-Type": "text/csv"})
    assert r.status_code == 415
    r = await trust.admin.put(url, content=b"<kml><Document>", headers={"Content-Type": KML})
    assert r.status_code == 422 and "not well-formed" in r.json()["detail"]
    swapped = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "swapped", "phases": ZONED["phases"]},
                "geometry": box(53.80, -1.60, 53.85, -1.50),
            },
            {
                "type": "Feature",
                "properties": {"name": "ghosts", "phases": [{"name": "x", "groups": ["ghosts"], "radius_m": 100}]},
                "geometry": box(-1.60, 53.80, -1.50, 53.85),
            },
            {
                "type": "Feature",
                "properties": {"name": "fine", "phases": [{"name": "x", "groups": ["staff"], "radius_m": "far"}]},
                "geometry": box(-1.60, 53.80, -1.50, 53.85),
            },
        ],
    }
    r = await trust.admin.put(url, json=swapped)
    assert r.status_code == 422
    assert [(e["loc"], e["name"]) for e in r.json()["errors"]] == [("features[2].phases[0].radius_m", "fine")]
    swapped["features"].pop()
    r = await trust.admin.put(url, json=swapped)
    assert {(e["loc"], e["name"]) for e in r.json()["errors"]} == {
        ("features[0].area", "swapped"),
        ("features[1].phases[0].groups", "ghosts"),
    }
    assert [f["properties"]["name"] for f in (await trust.admin.get(url)).json()["features"]] == ["city", "rural north"]

    other = await make_trust(stack)
    assert (await other.admin.put(url, content=good, headers={"Content-Type": KML})).status_code == 404
    assert (await other.admin.get(url)).status_code == 404
    assert (await trust.cad.get(url)).status_code == 404
    await other.close()
    await trust.close()


def cli(stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alerting", "zones", *args],
        cwd=ROOT,
        env=env_for(stack.settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_cli_imports_and_exports_like_the_api(stack, tmp_path):
    trust = await make_trust(stack)
    broken = await asyncio.to_thread(
        cli, stack, "import", str(FIXTURES / "leeds-zones-broken.kml"), "--trust", trust.id
    )
    assert broken.returncode == 1 and "placemark[2].area 'Otley Road'" in broken.stderr
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == 1

    done = await asyncio.to_thread(cli, stack, "import", str(FIXTURES / "leeds-zones.kml"), "--trust", trust.id)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "policy v2: 3 zone(s): City centre, Rural north, Reservoirs"
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()
    assert audit[0]["action"] == "policy.update" and audit[0]["actor"] == {
        "kind": "system",
        "id": "cli",
        "name": "system (cli)",
    }

    out = tmp_path / "zones.geojson"
    exported = await asyncio.to_thread(cli, stack, "export", "--trust", trust.id, "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    api = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy/zones")).json()
    assert json.loads(out.read_text()) == api
    await trust.close()


async def test_a_regions_file_as_published_imports_by_its_name_property(stack):
    """An NHS regions file names its features in NHSER22NM (KML: SimpleData nhser22nm) and carries no rules."""
    trust = await make_trust(stack, area=box(-1.90, 53.70, -1.40, 53.90))
    url = f"/v1/trusts/{trust.id}/policy/zones"
    published = (FIXTURES / "nhs-regions.geojson").read_bytes()
    geojson = {"Content-Type": "application/geo+json"}
    before = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()

    r = await trust.admin.put(url, content=published, headers=geojson)
    assert r.status_code == 422
    assert [e["msg"] for e in r.json()["errors"]] == ["has no name; every zone needs one"] * 2
    r = await trust.admin.put(url, params={"name_property": "NHSER22NM"}, content=published, headers=geojson)
    assert r.status_code == 422
    assert [(e["loc"], e["name"]) for e in r.json()["errors"]] == [
        ("features[0]", "North West"),
        ("features[1]", "North East and Yorkshire"),
    ]
    assert "default_phases=trust" in r.json()["errors"][0]["msg"]
    r = await trust.admin.put(url, params={"name_property": "nhser22nm"}, content=published, headers=geojson)
    assert r.status_code == 422 and "has no 'nhser22nm' property to name it by" in r.json()["errors"][0]["msg"]
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json() == before

    r = await trust.admin.put(
        url, params={"name_property": "NHSER22NM", "default_phases": "trust"}, content=published, headers=geojson
    )
    assert r.status_code == 200, r.text
    assert [z["name"] for z in r.json()["zones"]] == ["North West", "North East and Yorkshire"]
    zones = (await trust.admin.get(url)).json()["features"]
    assert [z["properties"]["phases"] for z in zones] == [before["phases"]] * 2

    # Give one region its own rules, then upload the boundaries again from the KML export of the same layer.
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    policy["zones"][0]["phases"] = [{"name": "staff", "groups": ["staff"], "radius_m": 300, "delay_s": 0}]
    put = {k: v for k, v in policy.items() if k not in ("version", "warnings")}
    assert (await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=put)).status_code == 200
    r = await trust.admin.put(
        url,
        params={"name_property": "nhser22nm"},
        content=(FIXTURES / "nhs-regions.kml").read_bytes(),
        headers={"Content-Type": KML},
    )
    assert r.status_code == 200, r.text
    zones = (await trust.admin.get(url)).json()["features"]
    assert [(z["properties"]["name"], z["properties"]["phases"][0]["radius_m"]) for z in zones] == [
        ("North West", 300),
        ("North East and Yorkshire", before["phases"][0]["radius_m"]),
    ]
    created = (await trust.cad.post("/v1/incidents", json=incident("NHSER-1", (53.80, -1.75)))).json()
    assert (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()["zone"] == "North West"
    await trust.close()
