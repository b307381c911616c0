"""Alerters through the public API: join from an invite, raise an alert, and the trust's trusted
responders near are alerted (auto) or wait for a dispatcher (confirm)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.integration.test_console_api import EventStream
from tests.support.alerters import alerter_policy, make_alerter
from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.staff import signed_in

PROBLEM = "application/problem+json"


async def test_an_invited_alerter_raises_and_the_trusted_responders_near_are_alerted(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="auto"))
    await trust.responder("amy", ["staff"])
    await trust.responder("cal", ["community"])  # near, but not in the alerter section's groups
    await trust.responder("far", ["staff"])  # in the group, beyond the section's 300 m
    amy = await online(stack, trust, "amy", north_of(CENTRE, 100))
    cal = await online(stack, trust, "cal", north_of(CENTRE, 50))
    far = await online(stack, trust, "far", north_of(CENTRE, 800))

    invite = await trust.admin.post(f"/v1/trusts/{trust.id}/alerters", json={"id": "bea", "name": "Bea Stander"})
    assert invite.status_code == 201, invite.text
    link = (await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/bea/invites")).json()
    url = urlsplit(link["invite_url"])
    assert url.path == "/alert" and url.fragment == f"invite={link['code']}"
    async with stack.client() as phone:
        joined = await phone.post("/v1/invites/redeem", json={"code": link["code"]})
        assert joined.status_code == 201, joined.text
        assert joined.json()["alerter_id"] == "bea" and joined.json()["token"].startswith("alt_")
        assert "responder_id" not in joined.json()
        again = await phone.post("/v1/invites/redeem", json={"code": link["code"]})
        assert again.status_code == 410 and again.json()["code"] == "invite_used"
    token = joined.json()["token"]

    async with stack.client(token) as bea:
        r = await bea.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1], "accuracy_m": 12})
        assert r.status_code == 201, r.text
        raised = r.json()
        assert raised["status"] == "alerting" and raised["emergency_number"] == "999" and raised["alerted"] == 1
        alert = await amy.next("alert", incident_id=raised["incident_id"])
        assert alert["distance_m"] == round(100, 0) or abs(alert["distance_m"] - 100) < 1

        view = (await trust.cad.get(f"/v1/incidents/{raised['incident_id']}")).json()
        assert view["source"] == "alerter" and view["alerter_id"] == "bea"
        assert view["phase"] == "alerter" and view["accept_limit"] == 1
        assert [x["id"] for x in view["responders"]] == ["amy"]
        assert [t["event"] for t in view["timeline"]][:1] == ["reported"]

        # The alerter's token is theirs only: no responder or trust route answers it.
        assert (await bea.get("/v1/me/alerts")).status_code == 404
        assert (await bea.get(f"/v1/trusts/{trust.id}/alerters")).status_code == 404

        # amy accepts: the alerter sees one responder on the way and how far.
        await amy.send(type="accept", alert_id=alert["alert_id"])
        await amy.next("assigned", alert_id=alert["alert_id"])
        now = (await bea.get("/v1/alerts/current")).json()
        assert now["incident_id"] == raised["incident_id"] and now["accepted"] == 1
        assert abs(now["nearest_m"] - 100) < 2 and now["emergency_number"] == "999"

    # A CAD incident's view says where it came from too.
    cad = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": "AL-CAD-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
    )
    assert (await trust.cad.get(f"/v1/incidents/{cad.json()['id']}")).json()["source"] == "cad"

    # The raise is audited with the alerter, in words.
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "alerter."})).json()
    raise_entry = next(a for a in audit if a["action"] == "alerter.raise")
    assert raise_entry["actor"]["kind"] == "alerter" and raise_entry["actor"]["id"].startswith("ps_")  # a pseudonym
    assert raise_entry["actor"]["name"] == "alerter Bea Stander"
    assert token not in str(audit) and link["code"] not in str(audit)
    assert cal.taken("alert") == [] and far.taken("alert") == []
    for sock in (amy, cal, far):
        await sock.close()
    await trust.close()


async def test_in_confirm_mode_a_raise_waits_until_a_dispatcher_confirms_it(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 60))
    token = await make_alerter(stack, trust, "dee")
    async with stack.client(token) as dee:
        r = await dee.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
    assert r.status_code == 201, r.text
    raised = r.json()
    assert raised["status"] == "awaiting_confirmation" and raised["alerted"] == 0
    incident_id = raised["incident_id"]
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert view["status"] == "awaiting_confirmation" and view["responders"] == []
    await amy.roundtrip()
    assert amy.taken("alert") == []  # nothing went out while it waits

    confirmed = await trust.admin.post(f"/v1/incidents/{incident_id}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "alerting"
    alert = await amy.next("alert", incident_id=incident_id)
    assert alert["incident_id"] == incident_id
    again = await trust.admin.post(f"/v1/incidents/{incident_id}/confirm")
    assert again.status_code == 200 and [r["id"] for r in again.json()["responders"]] == ["amy"]

    # a CAD's own incident never waits for confirmation
    cad = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": "AL-CONF-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
    )
    refused = await trust.cad.post(f"/v1/incidents/{cad.json()['id']}/confirm")
    assert refused.status_code == 409 and refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["code"] == "not_awaiting_confirmation"
    timeline = [t["event"] for t in (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()["timeline"]]
    assert timeline.index("awaiting_confirmation") < timeline.index("confirmed") < timeline.index("phase_fired")
    await amy.close()
    await trust.close()


async def test_the_control_room_sees_a_raised_alert_waiting_and_responders_read_what_it_is(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 60))
    token = await make_alerter(stack, trust, "ivy")
    async with stack.client(token) as ivy:
        raised = (await ivy.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})).json()
    incident_id = raised["incident_id"]
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dee Spatcher")
    ticket = (await dispatcher.http.post(f"/v1/trusts/{trust.id}/live/tickets")).json()["ticket"]
    async with dispatcher.http.stream("GET", f"/v1/trusts/{trust.id}/live", params={"ticket": ticket}) as live:
        events = EventStream(live)
        snapshot = await events.next("snapshot")
        waiting = next(i for i in snapshot["incidents"] if i["id"] == incident_id)
        assert waiting["status"] == "awaiting_confirmation" and waiting["source"] == "alerter"
        assert waiting["alerter_id"] == "ivy"
        listed = await dispatcher.http.get(f"/v1/trusts/{trust.id}/incidents", params={"source": "alerter"})
        assert [i["id"] for i in listed.json()] == [incident_id]

        confirmed = await dispatcher.http.post(f"/v1/incidents/{incident_id}/confirm")
        assert confirmed.status_code == 200, confirmed.text
        assert (await events.next("incident", id=incident_id, status="alerting"))["source"] == "alerter"
    alert = await amy.next("alert", incident_id=incident_id)
    assert alert["category_label"] == "Cardiac arrest reported by a bystander"
    view = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{incident_id}")).json()
    assert next(t for t in view["timeline"] if t["event"] == "confirmed")["by"] == "Dee Spatcher"
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "incident.confirm"})).json()
    assert [a["actor"]["name"] for a in audit] == ["Dee Spatcher"]
    await dispatcher.close()
    await amy.close()
    await trust.close()
