"""Delivery acknowledgements over the socket: recorded once, and only for the responder's own alert."""

from __future__ import annotations

from tests.support.clients import CENTRE, make_trust, north_of, online


async def test_ack_sets_delivered_once_and_a_foreign_ack_changes_nothing(any_stack):
    stack = any_stack
    trust = await make_trust(stack)
    await trust.responder("amy", ["staff"])
    await trust.responder("bob", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    bob = await online(stack, trust, "bob", north_of(CENTRE, 80))
    created = (
        await trust.cad.post(
            "/v1/incidents", json={"cad_ref": "ACK-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        )
    ).json()
    amy_alert = await amy.next("alert", incident_id=created["id"])
    await bob.next("alert", incident_id=created["id"])

    await bob.send(type="ack", alert_id=amy_alert["alert_id"])  # not bob's alert
    refused = await bob.next("error")
    assert refused["code"] == "notfound" and refused["alert_id"] == amy_alert["alert_id"]
    await amy.send(type="ack", alert_id="no-such-alert")
    assert (await amy.next("error"))["code"] == "notfound"

    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert all(r["delivered_at"] is None for r in status["responders"])

    await amy.send(type="ack", alert_id=amy_alert["alert_id"])
    await amy.send(type="ack", alert_id=amy_alert["alert_id"])  # an app may repeat it after a reconnect
    await amy.roundtrip()
    assert amy.taken("error") == []
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    delivered = {r["id"]: r["delivered_at"] for r in status["responders"]}
    assert delivered["amy"] is not None and delivered["bob"] is None
    assert [t["responder"] for t in status["timeline"] if t["event"] == "alert.delivered"] == ["amy"]
    await amy.close()
    await bob.close()
    await trust.close()
