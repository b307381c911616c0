"""NENA's published EIDO samples posted unchanged to the real stack (tests/fixtures/cad/nena)."""

from __future__ import annotations

import json

from tests.support.clients import make_trust, north_of, online
from tests.unit.dispatch_adapter.samples import raw

EIDO = "application/eido+json"
# Around Allegheny County, Pennsylvania, where NENA's 2020 sample is placed.
ALLEGHENY = {
    "type": "Polygon",
    "coordinates": [[[-80.2, 40.3], [-79.8, 40.3], [-79.8, 40.6], [-80.2, 40.6], [-80.2, 40.3]]],
}
POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 500, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["10-101", "unknown"],
    "location_max_age_s": 900,
}


async def test_the_2020_sample_alerts_and_a_repost_is_the_same_incident(stack):
    trust = await make_trust(stack, policy=POLICY, area=ALLEGHENY)
    await trust.responder("pat", ["staff"])
    sock = await online(stack, trust, "pat", north_of((40.441345, -80.000266), 40))

    r = await trust.cad.post("/v1/incidents", content=raw("nena/Sample_EIDO.json"), headers={"Content-Type": EIDO})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["cad_ref"] == "urn:emergency:uid:incidentid:0:psap.allegheny.pa.us" and created["alerted"] == 1
    alert = await sock.next("alert", incident_id=created["id"])
    assert alert["category"] == "10-101" and 35 <= alert["distance_m"] <= 45

    again = await trust.cad.post("/v1/incidents", content=raw("nena/Sample_EIDO.json"), headers={"Content-Type": EIDO})
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    await sock.close()
    await trust.close()


async def test_the_call_transfer_is_refused_for_its_unplaceable_address_with_the_field_named(stack):
    trust = await make_trust(stack, policy=POLICY, area=ALLEGHENY)
    r = await trust.cad.post(
        "/v1/incidents", content=raw("nena/Sample call transfer EIDO.json"), headers={"Content-Type": EIDO}
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    error = r.json()["errors"][0]
    assert error["loc"] == "locationComponent[0].locationByValue"
    assert "civic address has no coordinates" in error["msg"]
    await trust.close()


async def test_the_2020_sample_posted_later_cancelled_ends_its_incident(stack):
    trust = await make_trust(stack, policy=POLICY, area=ALLEGHENY)
    await trust.responder("pat", ["staff"])
    sock = await online(stack, trust, "pat", north_of((40.441345, -80.000266), 40))
    created = await trust.cad.post(
        "/v1/incidents", content=raw("nena/Sample_EIDO.json"), headers={"Content-Type": EIDO}
    )
    alert = await sock.next("alert", incident_id=created.json()["id"])

    # The same EIDO as the PSAP would send it next: a later LastUpdateTimeStamp, the status Cancelled.
    later = json.loads(raw("nena/Sample_EIDO.json"))
    later["LastUpdateTimeStamp"] = "2020-10-29T18:52:00.000Z"
    later["incidentComponent"][0]["incidentStatusCommonRegistryText"] = ["Cancelled"]
    r = await trust.cad.post("/v1/incidents", content=json.dumps(later), headers={"Content-Type": EIDO})
    assert r.status_code == 200 and r.json()["id"] == created.json()["id"], r.text
    assert r.json()["status"] == "cancelled" and r.json()["effect"] == "cancelled"
    await sock.next("stand_down", alert_id=alert["alert_id"], reason="cancelled")
    # The sample itself, arriving late, changes nothing.
    late = await trust.cad.post("/v1/incidents", content=raw("nena/Sample_EIDO.json"), headers={"Content-Type": EIDO})
    assert late.status_code == 200 and late.json()["effect"] == "ignored" and late.json()["status"] == "cancelled"
    await sock.close()
    await trust.close()
