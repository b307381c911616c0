"""An EIDO posted again restates its incident: a later lastUpdateTimeStamp changes what differs (as
PATCH does, with the same timeline and re-sent alerts), an older one changes nothing, and an incident
status of Closed or Cancelled ends it (as /close and /cancel do)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.support.clients import make_trust, north_of, online
from tests.unit.dispatch_adapter.samples import doc, raw

EIDO = "application/eido+json"
STREET = "eido_street_point.json"
POINT = (53.80012, -1.54987)
CAD_REF = "urn:emergency:uid:incidentid:7f3c1a90e2:cad.yas.nhs.uk"


def restated(
    at: str,
    *,
    point: tuple[float, float] = POINT,
    category: str | None = None,
    notes: str | None = None,
    status: str | None = None,
    landmark: str | None = None,
) -> bytes:
    """The street sample as the CAD would send it again at `at`, with what changed since."""
    d: dict[str, Any] = doc(STREET)
    d["lastUpdateTimeStamp"] = at
    incident, location = d["incidentComponent"][0], d["locationComponent"][0]
    location["locationByValue"] = location["locationByValue"].replace(
        "53.80012 -1.54987", f"{point[0]:.6f} {point[1]:.6f}"
    )
    if landmark is not None:
        location["locationByValue"] = location["locationByValue"].replace("Outside the Queens Hotel", landmark)
    if category is not None:
        incident["incidentTypeInternalCode"] = category
    if notes is not None:
        d["notesComponent"][0]["notesActionComments"] = notes
    if status is not None:
        incident["incidentStatusCommonRegistryText"] = [status]
    return json.dumps(d).encode()


async def post(trust, body: bytes):
    return await trust.cad.post("/v1/incidents", content=body, headers={"Content-Type": EIDO})


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


async def test_a_later_eido_moves_recategorises_and_annotates_and_an_older_one_changes_nothing(stack):
    trust = await make_trust(stack)
    await trust.responder("near", ["staff"])
    sock = await online(stack, trust, "near", north_of(POINT, 100))
    r = await post(trust, raw(STREET))
    assert r.status_code == 201 and r.json()["effect"] == "created", r.text
    incident_id = r.json()["id"]
    first = await sock.next("alert", incident_id=incident_id)
    path = f"/v1/incidents/{incident_id}"

    moved_to = north_of(POINT, 60)
    later = restated(
        "2026-03-14T09:29:10.000Z",
        point=moved_to,
        category="09-E-02",
        notes="Moved inside the station concourse. AED in use.",
        landmark="Leeds station concourse",
    )
    r = await post(trust, later)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": incident_id, "cad_ref": CAD_REF, "status": "alerting", "phase": "trusted"} | {
        "alerted": 1,
        "effect": "updated",
    }
    again = await sock.next("alert", incident_id=incident_id)  # re-sent as PATCH re-sends it: same alert
    assert again["alert_id"] == first["alert_id"] and 35 <= again["distance_m"] <= 45
    assert again["address"].startswith("Leeds station concourse")
    view = (await trust.cad.get(path)).json()
    assert (view["lat"], view["lon"]) == (round(moved_to[0], 6), moved_to[1]) and view["category"] == "09-E-02"
    assert view["notes"] == "Moved inside the station concourse. AED in use."
    assert view["address"] == "Leeds station concourse, City Square, Leeds, LS1 1PJ"
    events = [t["event"] for t in view["timeline"]]
    assert {"moved", "recategorised", "notes_updated", "address_updated"} <= set(events)

    # Overtaken in transit: an EIDO older than the one applied changes nothing, nor does a retry.
    older = restated("2026-03-14T09:28:00.000Z", category="09-D-01", notes="stale")
    for body in (older, later):
        r = await post(trust, body)
        assert r.status_code == 200 and r.json()["effect"] == "ignored", r.text
    assert (await trust.cad.get(path)).json() == view

    # Later again, saying nothing new: recorded as the newest, so the older one stays ignored.
    same = restated(
        "2026-03-14T09:31:00.000Z",
        point=moved_to,
        category="09-E-02",
        notes="Moved inside the station concourse. AED in use.",
        landmark="Leeds station concourse",
    )
    r = await post(trust, same)
    assert r.status_code == 200 and r.json()["effect"] == "unchanged", r.text
    r = await post(trust, restated("2026-03-14T09:30:00.000Z", category="09-D-01"))
    assert r.json()["effect"] == "ignored"
    assert (await trust.cad.get(path)).json()["timeline"] == view["timeline"]
    await sock.roundtrip()
    assert sock.taken("alert") == []  # nothing was re-sent for documents that changed nothing
    await sock.close()
    await trust.close()


async def test_a_closed_or_cancelled_eido_ends_the_incident_as_the_endpoints_do(stack):
    trust = await make_trust(stack)
    await trust.responder("near", ["staff"])
    sock = await online(stack, trust, "near", north_of(POINT, 50))
    created = (await post(trust, raw(STREET))).json()
    alert = await sock.next("alert", incident_id=created["id"])
    path = f"/v1/incidents/{created['id']}"

    r = await post(trust, restated("2026-03-14T09:40:00Z", status="Cancelled"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["effect"] == "cancelled"
    await sock.next("stand_down", alert_id=alert["alert_id"], reason="cancelled")
    view = (await trust.cad.get(path)).json()
    cancelled = [t for t in view["timeline"] if t["event"] == "incident.cancelled"]
    assert cancelled[0]["reason"] == "cancelled by CAD (EIDO incident status Cancelled)"

    # After the end: a later EIDO that restates it unchanged is not refused; one that changes it is
    # refused as PATCH refuses it, and changes nothing.
    r = await post(trust, restated("2026-03-14T09:41:00Z", status="Closed"))
    assert r.status_code == 200 and r.json()["effect"] == "unchanged" and r.json()["status"] == "cancelled"
    r = await post(trust, restated("2026-03-14T09:42:00Z"))
    assert r.status_code == 200 and r.json()["effect"] == "unchanged"
    before = (await trust.cad.get(path)).json()
    answer = problem(await post(trust, restated("2026-03-14T09:43:00Z", notes="back again")), 409)
    assert "cancelled" in answer["detail"]
    assert (await trust.cad.get(path)).json() == before
    await sock.close()

    # Closed, on another incident.
    other = restated("2026-03-14T09:26:53.120Z")
    other = other.replace(b"7f3c1a90e2", b"8a4d2b01f3")
    created = (await post(trust, other)).json()
    closing = json.loads(other)
    closing["lastUpdateTimeStamp"] = "2026-03-14T10:15:00+00:00"
    closing["incidentComponent"][0]["incidentStatusCommonRegistryText"] = ["ResourcesOnscene", "Closed"]
    del closing["locationComponent"]  # an ending EIDO needs no location
    r = await post(trust, json.dumps(closing).encode())
    assert r.status_code == 200 and r.json()["effect"] == "closed" and r.json()["status"] == "closed", r.text
    events = [t["event"] for t in (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()["timeline"]]
    assert events.count("incident.closed") == 1
    await trust.close()


async def test_an_eido_ending_an_incident_never_reported_is_404_naming_its_id(stack):
    trust = await make_trust(stack)
    answer = problem(await post(trust, restated("2026-03-14T09:40:00Z", status="Closed")), 404)
    assert answer["errors"] == [
        {
            "loc": "incidentComponent[0].incidentTrackingIdentifier",
            "msg": f"no incident of this trust was reported as {CAD_REF!r}",
        }
    ]
    # Nothing was stored: the first restatement still creates the incident.
    assert (await post(trust, raw(STREET))).status_code == 201
    await trust.close()


async def test_racing_restatements_end_with_the_latest(stack):
    trust = await make_trust(stack)
    created = (await post(trust, raw(STREET))).json()
    bodies = [restated(f"2026-03-14T09:3{i}:00Z", notes=f"update {i}") for i in range(1, 6)]
    answers = await asyncio.gather(*(post(trust, b) for b in reversed(bodies)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert {a.json()["effect"] for a in answers} <= {"updated", "ignored"}
    view = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert view["notes"] == "update 5"
    await trust.close()


async def test_an_eido_without_a_time_is_a_retry(stack):
    trust = await make_trust(stack)
    d = doc(STREET)
    del d["lastUpdateTimeStamp"]
    created = (await post(trust, json.dumps(d).encode())).json()
    d["notesComponent"][0]["notesActionComments"] = "cannot be ordered"
    r = await post(trust, json.dumps(d).encode())
    assert r.status_code == 200 and r.json()["effect"] == "ignored" and r.json()["id"] == created["id"]
    assert (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()["notes"] != "cannot be ordered"
    await trust.close()


async def test_a_refused_restatement_changes_nothing_not_even_the_time_it_holds(stack):
    trust = await make_trust(stack)
    created = (await post(trust, raw(STREET))).json()
    path = f"/v1/incidents/{created['id']}"
    before = (await trust.cad.get(path)).json()
    london = restated("2026-03-14T09:40:00Z", point=(51.5007, -0.1246), notes="in London")
    answer = problem(await post(trust, london), 422)
    assert "outside the trust's service area" in answer["detail"]
    assert (await trust.cad.get(path)).json() == before
    # The refused document's time was not kept: an earlier one than it still applies.
    r = await post(trust, restated("2026-03-14T09:35:00Z", notes="still in Leeds"))
    assert r.status_code == 200 and r.json()["effect"] == "updated", r.text
    assert (await trust.cad.get(path)).json()["notes"] == "still in Leeds"
    await trust.close()
