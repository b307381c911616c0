"""CAP Update and Cancel posted to the real stack, from published messages (tests/fixtures/cad/cap):
they act on the incident their references name, through the same service as PATCH and /cancel
(the same re-sent alerts, timeline and webhooks); a polygon stands for a point only by the trust's
choice; a reference to nothing is 404 naming the field."""

from __future__ import annotations

import re

import pytest

from dispatch_adapter.receiver import WebhookReceiver
from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.unit.dispatch_adapter.samples import raw

CAP = "application/cap+xml"
EARTHQUAKE = "cap/Oasis_EarthquakeReport.xml"
THUNDERSTORM = "cap/Oasis_ThunderstormWarning.xml"
WIND = "cap/PelmorexNAADS_WindWarning.xml"
BRAWLEY = (32.9525, -115.5527)  # the earthquake update's circle


def square(lat: tuple[float, float], lon: tuple[float, float]) -> dict:
    (s, n), (w, e) = lat, lon
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def policy(category: str, **extra) -> dict:
    return {
        "phases": [{"name": "all", "groups": ["staff"], "radius_m": 2000, "delay_s": 0}],
        "accept_limit": 1,
        "alert_ttl_s": 600,
        "categories": [category],
        "location_max_age_s": 900,
        **extra,
    }


def original_of(update: bytes, *, circle: str | None = None) -> bytes:
    """The Alert an update's first reference names, as its sender would have sent it (the published
    corpora hold only the update): same sender, the referenced identifier and time, no references."""
    sender, identifier, sent = re.search(rb"<references>([^<\s]+)", update).group(1).split(b",")  # type: ignore[union-attr]
    body = re.sub(rb"<identifier>[^<]*</identifier>", b"<identifier>" + identifier + b"</identifier>", update)
    body = re.sub(rb"<sent>[^<]*</sent>", b"<sent>" + sent + b"</sent>", body)
    body = re.sub(rb"<references>[^<]*</references>", b"", body)
    body = body.replace(b"<msgType>Update</msgType>", b"<msgType>Alert</msgType>")
    if circle is not None:
        body = re.sub(rb"<circle>[^<]*</circle>", b"", body)
        body = body.replace(b"</areaDesc>", b"</areaDesc><circle>" + circle.encode() + b"</circle>", 1)
    return body


def cancel_of(update: bytes, sent: str) -> bytes:
    body = update.replace(b"<msgType>Update</msgType>", b"<msgType>Cancel</msgType>")
    return re.sub(rb"<sent>[^<]*</sent>", f"<sent>{sent}</sent>".encode(), body)


async def post(trust, body: bytes):
    return await trust.cad.post("/v1/incidents", content=body, headers={"Content-Type": CAP})


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


async def test_the_oasis_update_moves_the_incident_and_a_cancel_ends_it(stack):
    trust = await make_trust(stack, policy=policy("Earthquake"), area=square((32.5, 33.5), (-116.0, -115.0)))
    await trust.responder("rosa", ["staff"])
    sock = await online(stack, trust, "rosa", north_of(BRAWLEY, 100))
    update = raw(EARTHQUAKE)
    r = await post(trust, original_of(update, circle="32.9600,-115.5527 0"))
    assert r.status_code == 201 and r.json()["cad_ref"] == "TRI13970876.1" and r.json()["alerted"] == 1, r.text
    incident_id = r.json()["id"]
    first = await sock.next("alert", incident_id=incident_id)
    assert 700 <= first["distance_m"] <= 760

    r = await post(trust, update)  # the published Update, unchanged
    assert r.status_code == 200, r.text
    assert r.json()["id"] == incident_id and r.json()["effect"] == "updated" and r.json()["status"] == "alerting"
    again = await sock.next("alert", incident_id=incident_id)
    assert again["alert_id"] == first["alert_id"] and 95 <= again["distance_m"] <= 105
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert (view["lat"], view["lon"]) == BRAWLEY and view["category"] == "Earthquake"
    assert view["address"].startswith("1 mi. WSW of Brawley, CA")
    assert view["notes"].endswith("(This event has now been reviewed by a seismologist)")
    events = [t["event"] for t in view["timeline"]]
    # Only what differs from the Alert is a change: the place moved; its words and event did not.
    assert "moved" in events and not {"recategorised", "address_updated", "notes_updated"} & set(events)

    r = await post(trust, update)  # a retry: its sent is no later than the last message applied
    assert r.status_code == 200 and r.json()["effect"] == "ignored"
    assert (await trust.cad.get(f"/v1/incidents/{incident_id}")).json() == view

    cancel = cancel_of(update, "2003-06-11T21:10:00-07:00")
    r = await post(trust, cancel)
    assert r.status_code == 200 and r.json()["effect"] == "cancelled" and r.json()["status"] == "cancelled", r.text
    await sock.next("stand_down", alert_id=first["alert_id"], reason="cancelled")
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert [t["reason"] for t in view["timeline"] if t["event"] == "incident.cancelled"] == [
        "EQ 3.4 Imperial County CA"
    ]
    assert (await post(trust, cancel)).json()["effect"] == "ignored"
    await sock.close()
    await trust.close()


async def test_an_update_naming_nothing_is_404_with_the_field_and_changes_nothing(stack):
    trust = await make_trust(stack, policy=policy("Earthquake"), area=square((32.5, 33.5), (-116.0, -115.0)))
    for body in (raw(EARTHQUAKE), cancel_of(raw(EARTHQUAKE), "2003-06-11T21:10:00-07:00")):
        answer = problem(await post(trust, body), 404)
        assert answer["errors"] == [
            {"loc": "references", "msg": "no incident of this trust was reported as 'TRI13970876.1'"}
        ]
    # Another sender's message cannot name ours.
    foreign = raw(EARTHQUAKE).replace(b"<sender>trinet@caltech.edu</sender>", b"<sender>someone@else.org</sender>")
    answer = problem(await post(trust, foreign), 422)
    assert answer["errors"][0]["loc"] == "references" and "someone@else.org" in answer["errors"][0]["msg"]
    # An incident of another trust under that identifier is not this trust's.
    other = await make_trust(stack, policy=policy("Earthquake"), area=square((32.5, 33.5), (-116.0, -115.0)))
    assert (await post(other, original_of(raw(EARTHQUAKE)))).status_code == 201
    problem(await post(trust, raw(EARTHQUAKE)), 404)
    await other.close()
    await trust.close()


async def test_a_polygon_is_placed_at_its_centroid_only_by_the_trusts_choice(stack):
    islands = square((47.0, 48.0), (-62.3, -61.2))
    trust = await make_trust(stack, policy=policy("wind"), area=islands)
    update = raw(WIND)  # NAAD: references its thread, and its only area is a polygon
    r = await post(trust, original_of(update, circle="47.3800,-61.8600 0"))
    assert r.status_code == 201, r.text
    path = f"/v1/incidents/{r.json()['id']}"
    before = (await trust.cad.get(path)).json()

    answer = problem(await post(trust, update), 422)
    assert answer["errors"][0]["loc"] == "info.area.circle"
    assert "polygon is not a point" in answer["errors"][0]["msg"] and "cap_polygon_centroid" in answer["detail"]
    assert (await trust.cad.get(path)).json() == before

    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=policy("wind", cap_polygon_centroid=True))
    assert r.status_code == 200, r.text
    r = await post(trust, update)
    assert r.status_code == 200 and r.json()["effect"] == "updated", r.text
    view = (await trust.cad.get(path)).json()
    assert (view["lat"], view["lon"]) == pytest.approx((47.4994, -61.6872), abs=1e-4)
    assert view["address"] == "Îles-de-la-Madeleine" and view["category"] == "wind"
    await trust.close()


async def test_an_alert_with_a_polygon_only_is_refused_unless_the_trust_chose_centroids(stack):
    sierra = square((38.0, 39.0), (-120.5, -119.5))
    trust = await make_trust(stack, policy=policy("SVR"), area=sierra)
    answer = problem(await post(trust, raw(THUNDERSTORM)), 422)
    assert answer["errors"][0]["loc"] == "info.area.circle"
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=policy("SVR", cap_polygon_centroid=True))
    assert r.status_code == 200, r.text
    r = await post(trust, raw(THUNDERSTORM))  # the refused post stored nothing: this creates it
    assert r.status_code == 201 and r.json()["effect"] == "created", r.text
    view = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
    assert (view["lat"], view["lon"]) == pytest.approx((38.4840, -119.9346), abs=1e-4)
    await trust.close()


async def test_a_cap_cancel_sends_the_webhooks_the_cancel_endpoint_sends(stack):
    trust = await make_trust(stack, policy=policy("09-E-*"))
    await trust.responder("amy", ["staff"])
    sock = await online(stack, trust, "amy", north_of(CENTRE, 100))
    receiver = WebhookReceiver(keys=[trust.cad_key])
    await receiver.start()
    ids = {}
    for cad_ref in ("YAS-CAP-1", "YAS-CAP-2"):
        native = {"cad_ref": cad_ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        r = await trust.cad.post("/v1/incidents", json=native | {"callback_url": receiver.url})
        assert r.status_code == 201, r.text
        ids[cad_ref] = r.json()["id"]
        await sock.next("alert", incident_id=ids[cad_ref])
    cancel = (
        raw("cap_event_code.xml")
        .replace(b"<msgType>Alert</msgType>", b"<msgType>Cancel</msgType>")
        .replace(b"<identifier>YAS-260314-0413</identifier>", b"<identifier>YAS-260314-0413-C</identifier>")
        .replace(b"<scope>", b"<references>cad@yas.nhs.uk,YAS-CAP-1,2026-03-14T09:31:07+00:00</references><scope>")
        .replace(b"<msgType>Cancel</msgType>", b"<msgType>Cancel</msgType><note>Patient walked away</note>")
    )
    r = await post(trust, cancel)
    assert r.status_code == 200 and r.json()["effect"] == "cancelled", r.text
    r = await trust.cad.post(f"/v1/incidents/{ids['YAS-CAP-2']}/cancel", json={"reason": "Patient walked away"})
    assert r.status_code == 200, r.text
    await receiver.wait_for(lambda rc: sum(e["event"] == "incident.stood_down" for e in rc.events) == 2, timeout=30)

    def story(incident_id: str) -> list[str]:
        return [e["event"] for e in receiver.events if e["incident_id"] == incident_id]

    assert story(ids["YAS-CAP-1"]) == story(ids["YAS-CAP-2"]) == ["incident.alerting", "incident.stood_down"]
    timelines = [(await trust.cad.get(f"/v1/incidents/{i}")).json()["timeline"] for i in ids.values()]
    cancelled = [[t for t in tl if t["event"] == "incident.cancelled"] for tl in timelines]
    assert [c[0]["reason"] for c in cancelled] == ["Patient walked away"] * 2
    await receiver.stop()
    await sock.close()
    await trust.close()


async def test_a_message_referencing_only_an_earlier_update_finds_the_incident(stack):
    """Producers that reference just the previous message of a thread (OASIS A.3 names only .1)."""
    trust = await make_trust(stack, policy=policy("Earthquake"), area=square((32.5, 33.5), (-116.0, -115.0)))
    update = raw(EARTHQUAKE)
    created = (await post(trust, original_of(update, circle="32.9600,-115.5527 0"))).json()
    assert (await post(trust, update)).json()["effect"] == "updated"  # .2 references .1, the Alert

    def next_of(body: bytes, identifier: str, sent: str, previous: str) -> bytes:
        body = re.sub(rb"<identifier>[^<]*</identifier>", f"<identifier>{identifier}</identifier>".encode(), body)
        body = re.sub(rb"<sent>[^<]*</sent>", f"<sent>{sent}</sent>".encode(), body)
        return re.sub(rb"<references>[^<]*</references>", f"<references>{previous}</references>".encode(), body)

    third = next_of(
        update,
        "TRI13970876.3",
        "2003-06-11T21:05:00-07:00",
        "trinet@caltech.edu,TRI13970876.2,2003-06-11T20:56:00-07:00",
    ).replace(b"<circle>32.9525,-115.5527 0</circle>", b"<circle>32.9480,-115.5527 0</circle>")
    r = await post(trust, third)
    assert r.status_code == 200 and r.json()["id"] == created["id"] and r.json()["effect"] == "updated", r.text
    assert (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()["lat"] == 32.948
    fourth = next_of(
        cancel_of(update, "2003-06-11T21:20:00-07:00"),
        "TRI13970876.4",
        "2003-06-11T21:20:00-07:00",
        "trinet@caltech.edu,TRI13970876.3,2003-06-11T21:05:00-07:00",
    )
    r = await post(trust, fourth)
    assert r.status_code == 200 and r.json()["effect"] == "cancelled", r.text
    # Another trust's messages name nothing here.
    other = await make_trust(stack, policy=policy("Earthquake"), area=square((32.5, 33.5), (-116.0, -115.0)))
    problem(await post(other, fourth), 404)
    await other.close()
    await trust.close()
