"""Statuses from the scene through the public surface (real Redis, PostgreSQL and worker): over the
socket and over HTTP, each in the incident's view and timeline and as a `responder.status` webhook."""

from __future__ import annotations

from dispatch_adapter.receiver import WebhookReceiver
from tests.support.clients import CENTRE, make_trust, north_of, online

POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 800, "delay_s": 0}],
    "accept_limit": 2,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}


async def test_statuses_reach_the_timeline_and_the_cad_once_each(stack):
    trust = await make_trust(stack, policy=POLICY)
    for rid in ("amy", "ben", "cal"):
        await trust.responder(rid, ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    ben = await online(stack, trust, "ben", north_of(CENTRE, 80))
    cal = await online(stack, trust, "cal", north_of(CENTRE, 500))
    hook = WebhookReceiver(keys=[trust.cad_key])
    await hook.start()
    try:
        body = {"cad_ref": "ST-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "callback_url": hook.url}
        incident = (await trust.cad.post("/v1/incidents", json=body)).json()
        alerts = {}
        for rid, sock in (("amy", amy), ("ben", ben)):
            alerts[rid] = (await sock.next("alert", incident_id=incident["id"]))["alert_id"]
            await sock.send(type="accept", alert_id=alerts[rid])
            await sock.next("assigned", alert_id=alerts[rid])
        cal_alert = (await cal.next("alert", incident_id=incident["id"]))["alert_id"]

        # Over the socket: on_scene is amy's arrival too; a repeat is answered the same and sent once.
        await amy.send(type="status", alert_id=alerts["amy"], status="on_scene")
        first = await amy.next("status", alert_id=alerts["amy"])
        await amy.send(type="status", alert_id=alerts["amy"], status="on_scene")
        assert (await amy.next("status", status="on_scene"))["at"] == first["at"]
        await amy.send(type="status", alert_id=alerts["amy"], status="cpr_started")
        await amy.next("status", status="cpr_started")
        # Over HTTP, for an app woken by a push.
        async with stack.client(trust.tokens["ben"]) as me:
            r = await me.post(f"/v1/alerts/{alerts['ben']}/status", json={"status": "aed_collected"})
            assert r.status_code == 200 and r.json()["frames"][0]["type"] == "status"
            r = await me.post(f"/v1/alerts/{alerts['ben']}/status", json={"status": "asleep"})
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        # Someone not assigned (cal was stood down when the incident filled) is refused.
        await cal.send(type="status", alert_id=cal_alert, status="with_patient")
        refused = await cal.next("error", alert_id=cal_alert)
        assert refused["code"] == "not_accepted"
        await ben.send(type="status", alert_id=alerts["amy"], status="with_patient")  # amy's alert, not ben's
        assert (await ben.next("error", alert_id=alerts["amy"]))["code"] == "notfound"

        expected = [("amy", "on_scene"), ("amy", "cpr_started"), ("ben", "aed_collected")]
        await hook.wait_for(lambda h: len([e for e in h.events if e["event"] == "responder.status"]) == 3, timeout=30)
        statuses = [e for e in hook.events if e["event"] == "responder.status"]
        assert [(e["responder"]["id"], e["status"]) for e in statuses] == expected
        kinds = [e["event"] for e in hook.events if e["event"].startswith("responder.")]
        assert kinds.index("responder.arrived") < kinds.index("responder.status")  # the arrival first
        assert statuses[0]["responder"]["state"] == "arrived"

        view = (await trust.cad.get(f"/v1/incidents/{incident['id']}")).json()
        by_id = {r["id"]: r for r in view["responders"]}
        assert set(by_id["amy"]["statuses"]) == {"on_scene", "cpr_started"} and by_id["amy"]["state"] == "arrived"
        assert by_id["amy"]["statuses"]["on_scene"] == first["at"]
        assert list(by_id["ben"]["statuses"]) == ["aed_collected"] and by_id["ben"]["state"] == "accepted"
        assert by_id["cal"]["statuses"] == {}
        timeline = [(t["responder"], t["status"]) for t in view["timeline"] if t["event"] == "responder.status"]
        assert timeline == expected
    finally:
        await hook.stop()
        for sock in (amy, ben, cal):
            await sock.close()
        await trust.close()
