"""EIDO and CAP documents posted to the real stack: mapped onto the same intake, alerting the same
responders; a broken document is refused naming its field, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from tests.support.clients import make_trust, north_of, online
from tests.unit.dispatch_adapter.samples import raw

EIDO, CAP = "application/eido+json", "application/cap+xml"


def is_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


@pytest.mark.parametrize(
    "sample, media, point, cad_ref, location_type, address",
    [
        (
            "eido_street_point.json",
            EIDO,
            (53.80012, -1.54987),
            "urn:emergency:uid:incidentid:7f3c1a90e2:cad.yas.nhs.uk",
            "public",
            "Outside the Queens Hotel, City Square, Leeds, LS1 1PJ",
        ),
        ("cap_event_code.xml", CAP, (53.79835, -1.54262), "YAS-260314-0413", "public", "Briggate, Leeds LS1 6HD"),
    ],
)
async def test_standard_document_alerts_like_native_json(stack, sample, media, point, cad_ref, location_type, address):
    trust = await make_trust(stack)
    await trust.responder("near", ["staff"])
    sock = await online(stack, trust, "near", north_of(point, 30))

    r = await trust.cad.post("/v1/incidents", content=raw(sample), headers={"Content-Type": f"{media}; charset=utf-8"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["cad_ref"] == cad_ref and created["alerted"] == 1 and created["status"] == "alerting"

    alert = await sock.next("alert", incident_id=created["id"])
    assert alert["category"] == "09-E-01" and alert["address"] == address and 25 <= alert["distance_m"] <= 35
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert (status["lat"], status["lon"]) == point and status["location_type"] == location_type
    assert status["cad_ref"] == cad_ref and status["notes"]

    again = await trust.cad.post("/v1/incidents", content=raw(sample), headers={"Content-Type": media})
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    await sock.close()
    await trust.close()


async def test_residence_with_a_registry_type_is_recorded_as_private_and_alerts_no_one(stack):
    trust = await make_trust(stack)
    r = await trust.cad.post("/v1/incidents", content=raw("eido_residence_circle.json"), headers={"Content-Type": EIDO})
    assert r.status_code == 201 and r.json()["alerted"] == 0, r.text
    status = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
    assert status["location_type"] == "private" and status["category"] == "Medical"
    assert status["address"] == "14 Victoria Road, Leeds, LS6 1DR"
    await trust.close()


async def test_broken_eido_is_refused_naming_the_field_and_nothing_is_stored(stack):
    trust = await make_trust(stack)
    document = json.loads(raw("eido_street_point.json"))
    good = json.dumps(document)
    location = document["locationComponent"][0]
    location["locationByValue"] = location["locationByValue"].replace("53.80012 -1.54987", "53.80012")
    r = await trust.cad.post("/v1/incidents", content=json.dumps(document), headers={"Content-Type": EIDO})
    problem = is_problem(r, 422)
    assert problem["errors"] == [
        {"loc": "locationComponent[0].locationByValue gml:pos", "msg": "expected 'lat lon', got '53.80012'"}
    ]
    assert problem["detail"].startswith("locationComponent[0].locationByValue gml:pos: ")
    # The same tracking id now creates the incident: the refused post left nothing behind.
    assert (await trust.cad.post("/v1/incidents", content=good, headers={"Content-Type": EIDO})).status_code == 201
    await trust.close()


async def test_broken_cap_is_refused_naming_the_field_and_nothing_is_stored(stack):
    trust = await make_trust(stack)
    exercise = raw("cap_event_code.xml").replace(b"<status>Actual</status>", b"<status>Exercise</status>")
    problem = is_problem(await trust.cad.post("/v1/incidents", content=exercise, headers={"Content-Type": CAP}), 422)
    assert problem["errors"][0]["loc"] == "status" and "Exercise" in problem["detail"]
    no_point = raw("cap_event_code.xml").replace(b"<circle>53.79835,-1.54262 0</circle>", b"")
    problem = is_problem(await trust.cad.post("/v1/incidents", content=no_point, headers={"Content-Type": CAP}), 422)
    assert problem["errors"][0]["loc"] == "info.area.circle"
    r = await trust.cad.post("/v1/incidents", content=raw("cap_event_code.xml"), headers={"Content-Type": CAP})
    assert r.status_code == 201, r.text
    await trust.close()


async def test_document_outside_the_trust_area_is_refused(stack):
    trust = await make_trust(stack)
    body = raw("cap_event_code.xml").replace(b"53.79835,-1.54262 0", b"51.5007,-0.1246 0")
    problem = is_problem(await trust.cad.post("/v1/incidents", content=body, headers={"Content-Type": CAP}), 422)
    assert "outside the trust's service area" in problem["detail"]
    await trust.close()


@pytest.mark.parametrize(
    "media", ["text/plain", "application/xml", "application/x-www-form-urlencoded", "application/eido+xml"]
)
async def test_unknown_content_type_is_415_and_lists_the_accepted_ones(stack, media):
    trust = await make_trust(stack)
    problem = is_problem(
        await trust.cad.post("/v1/incidents", content=raw("cap_event_code.xml"), headers={"Content-Type": media}), 415
    )
    assert media in problem["detail"] and EIDO in problem["detail"] and CAP in problem["detail"]
    r = await trust.cad.post("/v1/incidents", content=raw("cap_event_code.xml"), headers={"Content-Type": CAP})
    assert r.status_code == 201  # the refused posts stored nothing under this identifier
    await trust.close()


async def test_the_served_openapi_says_what_a_document_may_do(stack):
    async with stack.client() as anonymous:
        doc = (await anonymous.get("/openapi.json")).json()
    post = doc["paths"]["/v1/incidents"]["post"]
    assert {"200", "201", "404", "409", "415", "422"} <= set(post["responses"])
    assert "effect" in post["responses"]["200"]["description"]
    content = post["requestBody"]["content"]
    assert "lastUpdateTimeStamp" in content[EIDO]["schema"]["description"]
    assert "references" in content[CAP]["schema"]["description"]
    assert "cap_polygon_centroid" in doc["components"]["schemas"]["PolicyIn"]["properties"]
