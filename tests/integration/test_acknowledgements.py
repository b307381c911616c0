"""Delivery acknowledgements over the socket: recorded once, and only for the responder's own alert."""

from __future__ import annotations

from alerting.services import alerts
from alerting.services.context import Services
from alerting.services.unit_of_work import unit_of_work
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


async def test_acks_written_together_answer_each_as_alone(any_stack):
    """One batch (alerting/realtime/acks.py) with a first ack, its repeat, another responder's ack of
    the same alert and an unknown alert: one delivery recorded, the two wrong ones refused."""
    stack = any_stack
    trust = await make_trust(stack)
    await trust.responder("amy", ["staff"])
    await trust.responder("bob", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 50))
    bob = await online(stack, trust, "bob", north_of(CENTRE, 80))
    created = (
        await trust.cad.post(
            "/v1/incidents", json={"cad_ref": "ACK-2", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        )
    ).json()
    amy_alert = (await amy.next("alert", incident_id=created["id"]))["alert_id"]
    bob_alert = (await bob.next("alert", incident_id=created["id"]))["alert_id"]
    services: Services = stack.server.config.app.state.services
    batch = [
        alerts.Ack(trust.id, "amy", amy_alert),
        alerts.Ack(trust.id, "bob", amy_alert),  # not bob's
        alerts.Ack(trust.id, "amy", amy_alert),  # the app repeated it
        alerts.Ack(trust.id, "amy", "no-such-alert"),
        alerts.Ack(trust.id, "bob", bob_alert),
    ]
    async with unit_of_work(services) as uow:
        answers = await alerts.acknowledge_many(uow, acks=batch)
    assert [type(a).__name__ for a in answers] == ["Answer", "NotFound", "Answer", "NotFound", "Answer"]
    async with unit_of_work(services) as uow:  # all of them again: repeats, or still refused
        again = await alerts.acknowledge_many(uow, acks=batch)
    assert [type(a).__name__ for a in again] == ["Answer", "NotFound", "Answer", "NotFound", "Answer"]
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    assert all(r["delivered_at"] is not None for r in status["responders"])
    assert sorted(t["responder"] for t in status["timeline"] if t["event"] == "alert.delivered") == ["amy", "bob"]
    await amy.close()
    await bob.close()
    await trust.close()
