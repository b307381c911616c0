"""What the console's control room reads through the public surface: the live map's "1 of 2
accepted", next phase and eligible responders nearby; a dispatcher's list of whom they could alert
(names and positions, dispatchers only); ended incidents kept on the map a while and findable by
CAD reference, date and status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.integration.test_console_api import EventStream
from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.staff import signed_in

POLICY = {
    "phases": [
        {"name": "close", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "wider", "groups": ["staff", "community"], "radius_m": 1500, "delay_s": 3600},
    ],
    "accept_limit": 2,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}


def incident(cad_ref, **extra):
    return {
        "cad_ref": cad_ref,
        "lat": CENTRE[0],
        "lon": CENTRE[1],
        "category": "09-E-01",
        "location_type": "public",
    } | extra


def parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


async def test_the_live_map_says_how_an_incident_stands_and_keeps_it_a_while_once_ended(stack):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("amy", ["staff"])
    await trust.responder("bob", ["community"])
    await trust.responder("cat", ["staff"])
    await trust.responder("dev", ["staff"])
    socks = [
        await online(stack, trust, "amy", north_of(CENTRE, 50)),
        await online(stack, trust, "bob", north_of(CENTRE, 900)),
        await online(stack, trust, "cat", north_of(CENTRE, 300), available=False),
        await online(stack, trust, "dev", north_of(CENTRE, 4000)),  # beyond the widest ring
    ]
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dana Whitfield")
    viewer = await signed_in(stack, trust, roles=["viewer"], name="Vic Reader")
    ticket = (await viewer.http.post(f"/v1/trusts/{trust.id}/live/tickets")).json()["ticket"]
    async with viewer.http.stream("GET", f"/v1/trusts/{trust.id}/live", params={"ticket": ticket}) as live:
        events = EventStream(live)
        await events.next("snapshot")
        body = (await trust.cad.post("/v1/incidents", json=incident("CR-1"))).json()
        view = await events.next("incident", id=body["id"])
        assert (view["accepted"], view["accept_limit"]) == (0, 2)
        assert view["next_phase"]["name"] == "wider"
        assert parse(view["next_phase"]["at"]) - parse(view["started_at"]) == timedelta(seconds=3600)
        assert view["eligible_nearby"] == 1  # bob: amy is alerted, cat off duty, dev too far
        assert view["ended"] is False and view["ended_at"] is None

        nearby = await dispatcher.http.get(f"/v1/trusts/{trust.id}/incidents/{body['id']}/nearby")
        assert nearby.status_code == 200, nearby.text
        assert nearby.json()["radius_m"] == 1500
        [bob] = nearby.json()["responders"]
        assert (bob["id"], bob["name"], round(bob["distance_m"])) == ("bob", "Bob", 900)
        assert abs(bob["lat"] - north_of(CENTRE, 900)[0]) < 1e-9 and bob["eta_s"] > 0
        wide = await dispatcher.http.get(
            f"/v1/trusts/{trust.id}/incidents/{body['id']}/nearby", params={"radius_m": 5000}
        )
        assert [r["id"] for r in wide.json()["responders"]] == ["bob", "dev"]
        assert (await viewer.http.get(f"/v1/trusts/{trust.id}/incidents/{body['id']}/nearby")).status_code == 403

        alert = await socks[0].next("alert", incident_id=body["id"])
        await socks[0].send(type="accept", alert_id=alert["alert_id"])
        view = await events.next("incident", id=body["id"], accepted=1)
        assert view["status"] == "alerting" and view["eligible_nearby"] == 1

        r = await dispatcher.http.post(f"/v1/incidents/{body['id']}/cancel", json={"reason": "Crew on scene"})
        assert r.status_code == 200
        view = await events.next("incident", id=body["id"], status="cancelled")
        assert view["ended"] is True and view["ended_at"] is not None and view["responders"] == []
        assert view["next_phase"] is None and view["eligible_nearby"] is None
    after = await dispatcher.http.get(f"/v1/trusts/{trust.id}/incidents/{body['id']}/nearby")
    assert after.json()["responders"] == []  # an ended incident needs nobody

    # A map opened now still shows it (greyed by the page), for console_ended_keep_s.
    ticket = (await viewer.http.post(f"/v1/trusts/{trust.id}/live/tickets")).json()["ticket"]
    async with viewer.http.stream("GET", f"/v1/trusts/{trust.id}/live", params={"ticket": ticket}) as live:
        snapshot = await EventStream(live).next("snapshot")
    assert [(i["cad_ref"], i["ended"]) for i in snapshot["incidents"]] == [("CR-1", True)]
    for sock in socks:
        await sock.close()
    await dispatcher.close()
    await viewer.close()
    await trust.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"cad_ref": "leeds-2026"}, ["LEEDS-2026-002", "LEEDS-2026-001"]),
        ({"cad_ref": "2026-001"}, ["LEEDS-2026-001"]),
        ({"cad_ref": "_"}, []),  # taken literally, not as a wildcard
        ({"status": "cancelled"}, ["LEEDS-2026-001"]),
        ({"status": "cancelled", "cad_ref": "9"}, []),
        (
            {"from": "2000-01-01T00:00:00Z", "to": "2999-01-01T00:00:00Z"},
            ["YORK-9", "LEEDS-2026-002", "LEEDS-2026-001"],
        ),
        ({"from": "2999-01-01T00:00:00Z"}, []),
        ({"to": "2000-01-01T00:00:00Z"}, []),
    ],
)
async def test_ended_incidents_are_found_by_cad_ref_date_and_status(stack, query, expected):
    trust = await make_trust(stack, policy=POLICY)
    ids = {}
    for ref in ("LEEDS-2026-001", "LEEDS-2026-002", "YORK-9"):
        ids[ref] = (await trust.cad.post("/v1/incidents", json=incident(ref))).json()["id"]
    assert (await trust.cad.post(f"/v1/incidents/{ids['LEEDS-2026-001']}/cancel")).status_code == 200
    viewer = await signed_in(stack, trust, roles=["viewer"], name="Vic Reader")
    r = await viewer.http.get(f"/v1/trusts/{trust.id}/incidents", params=query)
    assert r.status_code == 200, r.text
    assert [i["cad_ref"] for i in r.json()] == expected
    bad = await viewer.http.get(f"/v1/trusts/{trust.id}/incidents", params={"from": "yesterday"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    await viewer.close()
    await trust.close()
