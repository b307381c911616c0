"""The CAD tells what became of the patient and when its crew arrived, after the job as well as
during it: both are kept, read in the timeline and the export, and bad input changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.clients import CENTRE, make_trust


def incident(cad_ref: str) -> dict:
    return {"cad_ref": cad_ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_the_outcome_and_the_crew_arrival_reach_the_timeline_and_the_export_after_the_close(stack):
    trust = await make_trust(stack)
    created = (await trust.cad.post("/v1/incidents", json=incident("OUT-1"))).json()
    path = f"/v1/incidents/{created['id']}"
    arrived = datetime.now(UTC) - timedelta(minutes=3)
    r = await trust.cad.patch(path, json={"ambulance_arrived_at": rfc3339(arrived).replace("Z", "+01:00")})
    assert r.status_code == 200, r.text
    assert r.json()["ambulance_arrived_at"] == rfc3339(arrived - timedelta(hours=1))  # the offset is honoured
    assert (await trust.cad.post(f"{path}/close")).status_code == 200
    r = await trust.cad.patch(path, json={"outcome": "unknown", "ambulance_arrived_at": rfc3339(arrived)})
    assert r.status_code == 200, r.text
    r = await trust.cad.patch(path, json={"outcome": "rosc"})
    assert r.status_code == 200, r.text
    again = await trust.cad.patch(path, json={"outcome": "rosc"})  # the same again is no new entry
    body = again.json()
    assert body["status"] == "closed" and body["outcome"] == "rosc"
    assert body["ambulance_arrived_at"] == rfc3339(arrived)
    said = [t for t in body["timeline"] if t["event"] in ("outcome", "ambulance_arrived")]
    assert [(t["event"], t.get("outcome"), t.get("was")) for t in said] == [
        ("ambulance_arrived", None, None),
        ("outcome", "unknown", None),
        ("ambulance_arrived", None, None),
        ("outcome", "rosc", "unknown"),
    ]
    assert said[-2]["ambulance_arrived_at"] == rfc3339(arrived)

    doc = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{created['id']}/export")).json()
    assert doc["incident"]["outcome"] == "rosc" and doc["incident"]["ambulance_arrived_at"] == rfc3339(arrived)
    assert [t["event"] for t in doc["timeline"] if t["event"] == "outcome"] == ["outcome", "outcome"]

    # Anything else is still refused once the incident has ended, the outcome with it.
    problem(await trust.cad.patch(path, json={"outcome": "died", "notes": "late"}), 409)
    assert (await trust.cad.get(path)).json()["outcome"] == "rosc"
    await trust.close()


async def test_a_bad_outcome_or_arrival_time_names_its_field_and_changes_nothing(stack):
    trust = await make_trust(stack)
    created = (await trust.cad.post("/v1/incidents", json=incident("OUT-2"))).json()
    path = f"/v1/incidents/{created['id']}"
    before = (await trust.cad.get(path)).json()
    soon = datetime.now(UTC) + timedelta(minutes=30)
    for bad, loc in [
        ({"outcome": "alive", "notes": "x"}, "outcome"),
        ({"outcome": 3}, "outcome"),
        ({"ambulance_arrived_at": "2026-03-01T10:00:00"}, "ambulance_arrived_at"),  # no offset
        ({"ambulance_arrived_at": "2026-03-01"}, "ambulance_arrived_at"),
        ({"ambulance_arrived_at": "2026-02-30T10:00:00Z"}, "ambulance_arrived_at"),
        ({"ambulance_arrived_at": 1772359200}, "ambulance_arrived_at"),
        ({"ambulance_arrived_at": rfc3339(soon), "outcome": "rosc", "notes": "x"}, "ambulance_arrived_at"),
    ]:
        answer = problem(await trust.cad.patch(path, json=bad), 422)
        assert loc in [e["loc"] for e in answer["errors"]], (bad, answer)
    assert (await trust.cad.get(path)).json() == before
    # a CAD clock a little ahead of ours is no error
    nearly = datetime.now(UTC) + timedelta(seconds=30)
    r = await trust.cad.patch(path, json={"ambulance_arrived_at": rfc3339(nearly)})
    assert r.status_code == 200, r.text
    await trust.close()
