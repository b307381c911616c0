"""Responders already on scene hear when the CAD cancels or closes the call, on the socket."""

from __future__ import annotations

import pytest

from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online


@pytest.mark.parametrize(("action", "reason"), [("cancel", "cancelled"), ("close", "closed")])
async def test_cancel_and_close_reach_arrived_responders(stack, action, reason):
    trust = await make_trust(stack, policy={**TWO_PHASES, "accept_limit": 2})
    await trust.responder("onscene", ["staff"])
    await trust.responder("enroute", ["staff"])
    here = await online(stack, trust, "onscene", north_of(CENTRE, 20))
    coming = await online(stack, trust, "enroute", north_of(CENTRE, 60))
    r = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": f"SCENE-{action}", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
    )
    incident_id = r.json()["id"]
    alert_here, alert_coming = await here.next("alert"), await coming.next("alert")
    await here.send(type="accept", alert_id=alert_here["alert_id"])
    await here.next("assigned")
    await coming.send(type="accept", alert_id=alert_coming["alert_id"])
    await coming.next("assigned")
    await here.send(type="arrived", alert_id=alert_here["alert_id"])
    await here.roundtrip()
    status = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert {x["id"]: x["state"] for x in status["responders"]} == {"onscene": "arrived", "enroute": "accepted"}

    body = {"reason": "patient refused"} if action == "cancel" else None
    r = await trust.cad.post(f"/v1/incidents/{incident_id}/{action}", json=body)
    assert r.status_code == 200, r.text
    await here.next("stand_down", alert_id=alert_here["alert_id"], reason=reason)
    await coming.next("stand_down", alert_id=alert_coming["alert_id"], reason=reason)
    states = {x["id"]: x["state"] for x in r.json()["responders"]}
    assert states == {"onscene": "stood_down", "enroute": "stood_down"}
    arrived = next(x for x in r.json()["responders"] if x["id"] == "onscene")
    assert arrived["arrived_at"] is not None  # the arrival stays on record
    assert (await stack.client(trust.tokens["onscene"]).get("/v1/me/alerts")).json() == []
    await here.close()
    await coming.close()
    await trust.close()
