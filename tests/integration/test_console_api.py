"""The console's API through HTTP on the real stack: whoami, the live map's tickets and event
stream, admin incident views, and CSV import of responders."""

from __future__ import annotations

import asyncio
import json

from tests.integration.test_walking_skeleton import online
from tests.support.clients import CENTRE, make_trust, north_of

PROBLEM = "application/problem+json"


class EventStream:
    """Reads server-sent events from a streaming response, one event at a time."""

    def __init__(self, response):
        self.lines = response.aiter_lines()

    async def next(self, event: str, timeout: float = 15, **match) -> dict:
        async def read() -> dict:
            name, data = None, []
            async for line in self.lines:
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "":
                    if name == event and data:
                        body = json.loads("\n".join(data))
                        if all(body.get(k) == v for k, v in match.items()):
                            return body
                    name, data = None, []
            raise AssertionError(f"stream ended before a {event!r} event")

        return await asyncio.wait_for(read(), timeout)


async def test_whoami_names_each_credential(stack):
    trust = await make_trust(stack)
    token = await trust.responder("ann", ["staff"])
    assert (await trust.admin.get("/v1/whoami")).json() == {
        "kind": "admin",
        "trust_id": trust.id,
        "responder_id": None,
        "trust_name": (await trust.admin.get(f"/v1/trusts/{trust.id}")).json()["name"],
        "roles": ["viewer", "dispatcher", "policy", "verifier", "admin"],  # the admin key has every right
    }
    async with stack.client(token) as responder:
        me = (await responder.get("/v1/whoami")).json()
    assert (me["kind"], me["responder_id"], me["name"]) == ("responder", "ann", "Ann")
    async with stack.client() as anonymous:
        r = await anonymous.get("/v1/whoami")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    await trust.close()


async def test_live_tickets_are_single_use_and_per_trust(stack):
    a, b = await make_trust(stack), await make_trust(stack)
    assert (await b.admin.post(f"/v1/trusts/{a.id}/live/tickets")).status_code == 404
    assert (await a.cad.post(f"/v1/trusts/{a.id}/live/tickets")).status_code == 404
    async with stack.client() as anonymous:
        r = await anonymous.get(f"/v1/trusts/{a.id}/live")
        assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
        r = await anonymous.get(f"/v1/trusts/{a.id}/live", params={"ticket": a.admin_key})
        assert r.status_code == 401  # the admin key itself is never accepted in the URL

        issued = await a.admin.post(f"/v1/trusts/{a.id}/live/tickets")
        assert issued.status_code == 201 and issued.json()["expires_in_s"] == stack.settings.console_ticket_ttl_s
        ticket = issued.json()["ticket"]
        r = await anonymous.get(f"/v1/trusts/{b.id}/live", params={"ticket": ticket})
        assert r.status_code == 404  # another trust's ticket; and now it is spent
        r = await anonymous.get(f"/v1/trusts/{a.id}/live", params={"ticket": ticket})
        assert r.status_code == 401
    await a.close()
    await b.close()


async def test_live_stream_shows_only_alerted_responders(stack):
    trust = await make_trust(stack)
    for rid in ("near", "far", "resting"):
        await trust.responder(rid, ["staff"])
    socks = [
        await online(stack, trust, "near", north_of(CENTRE, 80)),
        await online(stack, trust, "far", north_of(CENTRE, 5000)),
        await online(stack, trust, "resting", north_of(CENTRE, 90), available=False),
    ]
    ticket = (await trust.admin.post(f"/v1/trusts/{trust.id}/live/tickets")).json()["ticket"]
    async with (
        stack.client() as viewer,
        viewer.stream("GET", f"/v1/trusts/{trust.id}/live", params={"ticket": ticket}) as live,
    ):
        assert live.status_code == 200 and live.headers["content-type"].startswith("text/event-stream")
        events = EventStream(live)
        snapshot = await events.next("snapshot")
        assert snapshot["trust"]["id"] == trust.id and snapshot["incidents"] == []
        assert snapshot["trust"]["area"]["type"] == "Polygon" and snapshot["zones"] == []

        r = await trust.cad.post(
            "/v1/incidents", json={"cad_ref": "LIVE-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        )
        incident_id = r.json()["id"]
        view = await events.next("incident", id=incident_id)
        assert view["open"] and view["status"] == "alerting" and view["cad_ref"] == "LIVE-1"
        assert [(x["phase"], x["radius_m"], x["fired"]) for x in view["rings"]] == [
            ("trusted", 200, True),
            ("community", 1000, False),
        ]
        assert [(x["id"], x["state"]) for x in view["responders"]] == [("near", "alerted")]
        near = view["responders"][0]
        assert abs(near["lat"] - north_of(CENTRE, 80)[0]) < 1e-9 and near["name"] == "Near"

        alert = await socks[0].next("alert", incident_id=incident_id)
        await socks[0].send(type="accept", alert_id=alert["alert_id"])
        view = await events.next("incident", id=incident_id, status="filled")
        assert [(x["id"], x["state"], x["role"]) for x in view["responders"]] == [("near", "accepted", "scene")]

        await trust.cad.post(f"/v1/incidents/{incident_id}/cancel", json={"reason": "test"})
        view = await events.next("incident", id=incident_id, status="cancelled")
        assert not view["open"] and view["responders"] == []
    for sock in socks:
        await sock.close()
    await trust.close()


async def test_admin_reads_incidents_newest_first(stack):
    trust, other = await make_trust(stack), await make_trust(stack)
    ids = []
    for ref in ("OLD-1", "NEW-2"):
        r = await trust.cad.post(
            "/v1/incidents", json={"cad_ref": ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        )
        ids.append(r.json()["id"])
    listed = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents")).json()
    assert [i["cad_ref"] for i in listed] == ["NEW-2", "OLD-1"]
    view = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{ids[0]}")).json()
    assert view["cad_ref"] == "OLD-1" and view["timeline"][0]["event"] == "reported"
    assert (await other.admin.get(f"/v1/trusts/{trust.id}/incidents")).status_code == 404
    assert (await other.admin.get(f"/v1/trusts/{other.id}/incidents/{ids[0]}")).status_code == 404
    await trust.close()
    await other.close()


async def test_csv_import_reports_each_row(stack):
    trust = await make_trust(stack)
    url = f"/v1/trusts/{trust.id}/responders/import"
    csv = "id,name,groups\namy,Amy,staff\namy,Amy Again,staff\nben,Ben,ghosts\n,No Id,staff\ncat,Cat,community\n"
    r = await trust.admin.post(url, content=csv, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert lines[0] == {"type": "start", "total": 5}
    rows = [(x["line"], x["id"], x["ok"]) for x in lines[1:-1]]
    assert rows == [(2, "amy", True), (3, "amy", False), (4, "ben", False), (5, None, False), (6, "cat", True)]
    assert "already appears on line 2" in lines[2]["errors"][0]
    assert lines[3]["errors"] == ["unknown groups: ghosts"]
    assert [x["done"] for x in lines[1:-1]] == [1, 2, 3, 4, 5]
    assert lines[-1] == {"type": "done", "total": 5, "created": 2, "failed": 3}
    ids = [x["id"] for x in (await trust.admin.get(f"/v1/trusts/{trust.id}/responders")).json()]
    assert ids == ["amy", "cat"]
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()
    created = [e for e in audit if e["action"] == "responder.create"]
    assert [e["responder"] for e in created] == ["cat", "amy"]  # the pseudonymous target, resolved for the admin
    assert all(e["target"].startswith("responder ps_") for e in created)

    # The same rows again: each is now a conflict, reported, and nothing changes.
    again = [
        json.loads(x)
        for x in (
            await trust.admin.post(url, content="id,name,groups\namy,Amy,staff\n", headers={"Content-Type": "text/csv"})
        ).text.splitlines()
    ]
    assert again[1]["errors"] == ["responder 'amy' already exists"]


async def test_csv_import_refuses_unreadable_files_whole(stack):
    trust, other = await make_trust(stack), await make_trust(stack)
    url = f"/v1/trusts/{trust.id}/responders/import"
    cases = [
        ("name,groups\nAmy,staff\n", "text/csv", "lacks column(s) id"),
        ("", "text/csv", "empty"),
        ("id,name,groups\n", "text/csv", "no rows"),
        ('{"id": "amy"}', "application/json", "text/csv"),
    ]
    for body, media, detail in cases:
        r = await trust.admin.post(url, content=body, headers={"Content-Type": media})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (body, r.text)
        assert detail in r.json()["detail"], r.json()
    r = await trust.admin.post(url, content=b"id,name,groups\n\xff\xfe,x,staff\n", headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "not UTF-8" in r.json()["detail"]
    too_many = "id,name,groups\n" + "".join(
        f"r{i},R,staff\n" for i in range(stack.settings.console_import_max_rows + 1)
    )
    r = await trust.admin.post(url, content=too_many, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "more than" in r.json()["detail"]
    r = await other.admin.post(url, content="id,name,groups\namy,Amy,staff\n", headers={"Content-Type": "text/csv"})
    assert r.status_code == 404
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders")).json() == []
    await trust.close()
    await other.close()


async def test_stream_refreshes_open_incidents_then_asks_for_a_new_ticket(stack):
    """Positions move without incident changes, so open incidents are re-sent on a timer; a stream
    ends after its lifetime with a `reconnect` event (the page then uses a fresh ticket)."""
    from alerting.services import live_map
    from alerting.services.context import build_services

    trust = await make_trust(stack)
    await trust.responder("near", ["staff"])
    sock = await online(stack, trust, "near", north_of(CENTRE, 80))
    r = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": "REFRESH-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
    )
    incident_id = r.json()["id"]
    services = build_services(stack.settings.model_copy(update={"console_refresh_s": 0.3, "console_stream_max_s": 2.0}))
    try:
        events = []
        moved = False
        async for chunk in live_map.stream(services, trust.id):
            name = chunk.split("event: ", 1)[1].split("\n", 1)[0] if "event: " in chunk else None
            events.append(name)
            if name == "incident" and not moved:
                # Moved in the live index directly: the socket's own rate limit is not under test here.
                await services.index.upsert(trust.id, "near", north_of(CENTRE, 60)[0], CENTRE[1], 5, services.clock())
                moved = True
            elif name == "incident" and f'"lat":{north_of(CENTRE, 60)[0]}' in chunk:
                events.append("moved")
        assert events[0] == "snapshot" and events[-1] == "reconnect"
        assert "moved" in events, events  # a refresh carried the new position, with no incident change
        assert [i["id"] for i in (await live_map.snapshot(services, trust.id))["incidents"]] == [incident_id]
    finally:
        await services.aclose()
    await sock.close()
    await trust.close()


async def test_snapshot_carries_policy_zones_and_defibrillators(stack):
    from tests.support.clients import TWO_PHASES

    north = {
        "type": "Polygon",
        "coordinates": [[[-1.70, 53.85], [-1.40, 53.85], [-1.40, 53.90], [-1.70, 53.90], [-1.70, 53.85]]],
    }
    policy = {
        **TWO_PHASES,
        "zones": [
            {
                "name": "north",
                "area": north,
                "phases": [{"name": "all", "groups": ["staff"], "radius_m": 3000, "delay_s": 0}],
            }
        ],
    }
    trust = await make_trust(stack, policy=policy)
    assert (await trust.aed("aed-1", "Station", CENTRE, access="public")).status_code == 200
    ticket = (await trust.admin.post(f"/v1/trusts/{trust.id}/live/tickets")).json()["ticket"]
    async with (
        stack.client() as viewer,
        viewer.stream("GET", f"/v1/trusts/{trust.id}/live", params={"ticket": ticket}) as live,
    ):
        snapshot = await EventStream(live).next("snapshot")
    assert [(z["name"], z["area"]["type"]) for z in snapshot["zones"]] == [("north", "Polygon")]
    assert [(a["id"], a["lat"], a["lon"]) for a in snapshot["aeds"]] == [("aed-1", CENTRE[0], CENTRE[1])]
    await trust.close()
