"""The responder's profile (travel mode, AED, language) and their history of alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online


async def test_profile_is_the_responders_own_and_sets_the_eta(stack):
    trust = await make_trust(stack)
    await trust.responder("cyclist", ["staff"])
    await trust.responder("walker", ["staff"])
    me = stack.client(trust.tokens["cyclist"])
    got = (await me.get("/v1/me")).json()
    assert got["id"] == "cyclist" and got["travel_mode"] == "foot" and got["carries_aed"] is False
    assert got["language"] is None and got["credentials"] == [] and got["missing_credentials"] == []

    r = await me.patch("/v1/me", json={"travel_mode": "bike", "language": "cy-gb"})
    assert r.status_code == 200 and r.json()["travel_mode"] == "bike" and r.json()["language"] == "cy-GB"
    for bad in ({"language": "not a tag"}, {"travel_mode": "horse"}, {"groups": ["staff"]}):
        r = await me.patch("/v1/me", json=bad)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), bad
    assert (await me.get("/v1/me")).json()["language"] == "cy-GB"  # refused changes changed nothing

    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/walker", json={"carries_aed": True})
    assert r.status_code == 200 and r.json()["carries_aed"] is True and r.json()["travel_mode"] == "foot"

    a = await online(stack, trust, "cyclist", north_of(CENTRE, 150))
    b = await online(stack, trust, "walker", north_of(CENTRE, 150))
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "ETA-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    status = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
    eta = {x["id"]: x["eta_s"] for x in status["responders"]}
    s = stack.settings
    assert eta["walker"] > eta["cyclist"]
    assert abs(eta["walker"] / eta["cyclist"] - s.bike_speed_mps / s.walking_speed_mps) < 0.05
    await a.close()
    await b.close()
    await me.aclose()
    await trust.close()


async def test_history_lists_past_alerts_newest_first_and_pages(stack):
    trust = await make_trust(stack)
    await trust.responder("vet", ["staff"])
    sock = await online(stack, trust, "vet", north_of(CENTRE, 30))
    ids = []
    for ref in ("H-1", "H-2", "H-3"):
        r = await trust.cad.post(
            "/v1/incidents",
            json={"cad_ref": ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
        )
        ids.append(r.json()["id"])
        alert = await sock.next("alert", incident_id=ids[-1])
        if ref == "H-1":
            await sock.send(type="decline", alert_id=alert["alert_id"])
            await sock.roundtrip()
        elif ref == "H-2":
            await sock.send(type="accept", alert_id=alert["alert_id"])
            await sock.next("assigned")
            assert (await trust.cad.post(f"/v1/incidents/{ids[-1]}/close")).status_code == 200
            await sock.next("stand_down", reason="closed")
        else:
            await trust.cad.post(f"/v1/incidents/{ids[-1]}/cancel", json={"reason": "stood down by control"})
    me = stack.client(trust.tokens["vet"])
    history = (await me.get("/v1/me/history")).json()
    assert [h["incident_id"] for h in history] == ids[::-1]
    assert [h["state"] for h in history] == ["stood_down", "stood_down", "declined"]
    assert [h["incident_status"] for h in history[:2]] == ["cancelled", "closed"]
    assert history[2]["incident_status"] in ("alerting", "exhausted")  # its second phase may have fired since
    assert history[1]["role"] == "scene" and history[1]["accepted_at"] and history[0]["category"] == "09-E-01"
    page = (await me.get("/v1/me/history", params={"limit": 1, "offset": 1})).json()
    assert [h["incident_id"] for h in page] == [ids[1]]
    # Only the responder's own alerts: another responder's history is empty.
    await trust.responder("newcomer", ["staff"])
    async with stack.client(trust.tokens["newcomer"]) as other:
        assert (await other.get("/v1/me/history")).json() == []
    assert (await trust.admin.get("/v1/me/history")).status_code == 404
    await me.aclose()
    await sock.close()
    await trust.close()


async def test_a_decline_keeps_its_reason_for_the_history_the_timeline_and_the_export(stack):
    trust = await make_trust(stack, policy={**TWO_PHASES, "accept_limit": 3})
    for rid in ("far", "plain", "http"):
        await trust.responder(rid, ["staff"])
    socks = {rid: await online(stack, trust, rid, north_of(CENTRE, 40)) for rid in ("far", "plain")}
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "WHY-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    incident = r.json()["id"]
    http_sock = await online(stack, trust, "http", north_of(CENTRE, 40))
    alerts = {rid: (await s.next("alert", incident_id=incident))["alert_id"] for rid, s in socks.items()}
    alerts["http"] = (await http_sock.next("alert", incident_id=incident))["alert_id"]

    # a reason that is not one of the four is refused, and the alert stays open
    await socks["far"].send(type="decline", alert_id=alerts["far"], reason="bored")
    error = await socks["far"].next("error")
    assert error["code"] == "invalid_message" and "reason" in error["detail"], error
    phone = stack.client(trust.tokens["http"])
    bad = await phone.post(f"/v1/alerts/{alerts['http']}/decline", json={"reason": "bored"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    states = {x["id"]: x["state"] for x in (await trust.cad.get(f"/v1/incidents/{incident}")).json()["responders"]}
    assert states == {"far": "alerted", "plain": "alerted", "http": "alerted"}

    await socks["far"].send(type="decline", alert_id=alerts["far"], reason="too_far")
    await socks["plain"].send(type="decline", alert_id=alerts["plain"])
    for s in socks.values():
        await s.roundtrip()
    ok = await phone.post(f"/v1/alerts/{alerts['http']}/decline", json={"reason": "unsafe"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["frames"] == [{"type": "declined", "alert_id": alerts["http"], "reason": "unsafe"}]
    # every socket of the responder hears it too, so an app left open stops ringing
    assert (await http_sock.next("declined", alert_id=alerts["http"]))["reason"] == "unsafe"

    mine = {rid: (await stack.client(trust.tokens[rid]).get("/v1/me/history")).json()[0] for rid in alerts}
    assert {rid: (h["state"], h["decline_reason"]) for rid, h in mine.items()} == {
        "far": ("declined", "too_far"),
        "plain": ("declined", None),
        "http": ("declined", "unsafe"),
    }
    staff_view = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{incident}")).json()
    assert {x["id"]: x["decline_reason"] for x in staff_view["responders"]} == {
        "far": "too_far",
        "plain": None,
        "http": "unsafe",
    }
    declined = [t for t in staff_view["timeline"] if t["event"] == "responder.declined"]
    assert sorted((t["responder"], t.get("reason")) for t in declined) == [
        ("far", "too_far"),
        ("http", "unsafe"),
        ("plain", None),
    ]
    export = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{incident}/export")).json()
    assert {x["id"]: x["decline_reason"] for x in export["incident"]["responders"]}["far"] == "too_far"
    assert any(t.get("reason") == "too_far" for t in export["timeline"] if t["event"] == "responder.declined")
    cad_view = (await trust.cad.get(f"/v1/incidents/{incident}")).json()
    assert all("decline_reason" not in x for x in cad_view["responders"])
    for s in (*socks.values(), http_sock):
        await s.close()
    await phone.aclose()
    await trust.close()


def _window(start_in_h: float, end_in_h: float) -> dict:
    """Every day, from `start_in_h` to `end_in_h` hours from now, in UTC."""
    now = datetime.now(UTC)
    hhmm = [(now + timedelta(hours=h)).strftime("%H:%M") for h in (start_in_h, end_in_h)]
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return {"tz": "UTC", "windows": [{"days": days, "start": hhmm[0], "end": hhmm[1]}]}


async def test_on_duty_hours_keep_a_responder_from_alerts_outside_them(stack):
    trust = await make_trust(stack)
    await trust.responder("eve", ["staff"])
    me = stack.client(trust.tokens["eve"])
    for bad in (
        {"on_duty_hours": {"tz": "UTC", "windows": []}},
        {"on_duty_hours": {"tz": "Mars/Olympus", "windows": [{"days": ["mon"], "start": "18:00", "end": "22:00"}]}},
        {"on_duty_hours": {"windows": [{"days": ["someday"], "start": "18:00", "end": "22:00"}]}},
        {"on_duty_hours": {"windows": [{"days": ["mon"], "start": "25:00", "end": "22:00"}]}},
    ):
        r = await me.patch("/v1/me", json=bad)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), bad
    assert (await me.get("/v1/me")).json()["on_duty_hours"] is None

    later = _window(2, 3)
    r = await me.patch("/v1/me", json={"on_duty_hours": later})
    assert r.status_code == 200 and r.json()["on_duty_hours"] == later, r.text
    sock = await online(stack, trust, "eve", north_of(CENTRE, 50))
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "DUTY-1",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
        },
    )
    assert r.json()["alerted"] == 0, r.text
    view = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{r.json()['id']}")).json()
    assert [(t["responder"], t["reason"]) for t in view["timeline"] if t["event"] == "responder_skipped"] == [
        ("eve", "off_schedule")
    ]
    by_hand = await trust.cad.post(f"/v1/incidents/{r.json()['id']}/alert", json={"responder_id": "eve"})
    assert by_hand.status_code == 409 and by_hand.json()["code"] == "off_schedule", by_hand.text

    # inside the hours (set by the trust this time), the same responder is alerted
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/eve", json={"on_duty_hours": _window(-1, 1)})
    assert r.status_code == 200, r.text
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "DUTY-2",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
        },
    )
    assert r.json()["alerted"] == 1, r.text
    await sock.next("alert", incident_id=r.json()["id"])

    # cleared: alerted whenever on duty again
    r = await me.patch("/v1/me", json={"on_duty_hours": None})
    assert r.status_code == 200 and r.json()["on_duty_hours"] is None
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "responder.profile"})).json()
    assert audit[0]["changes"][0].startswith("on-duty hours ") and audit[0]["changes"][0].endswith("→ none")
    await sock.close()
    await me.aclose()
    await trust.close()
