"""A bystander's alarm held for a dispatcher does not wait for ever: once the policy's
`alerter.confirm_timeout_s` has passed unconfirmed, its timer (the worker's wake task and sweep,
as every incident timer) closes it with a reason. The alerter hears it on their socket, the live
map's held list no longer holds it, and the CAD hears `incident.stood_down`.

No test waits ten minutes: the raise is made with the API's clock set back past the timeout, so
the worker, on the real clock, finds its timer overdue at its next sweep."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from alerting.domain.webhook_signature import verify
from alerting.services.context import Services, build_services
from alerting.store.models import Incident
from dispatch_adapter.webhook_schema import WebhookEvent
from tests.integration.test_console_api import EventStream
from tests.support.alerters import alerter_online, alerter_policy, alerter_ws, help_until, make_alerter
from tests.support.clients import CENTRE, ResponderSocket, make_trust
from tests.support.procs_faults import until

HERE = {"lat": CENTRE[0], "lon": CENTRE[1]}
WAIT_S = 600  # the policy section's default confirm_timeout_s


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def _raise(stack, token: str, *, earlier_by: float = 0.0) -> dict:
    """A raise as the API makes it `earlier_by` seconds ago (its clock set back for this one request)."""
    services: Services = stack.server.config.app.state.services
    real = services.clock
    if earlier_by:
        services.clock = lambda: real() - earlier_by
    try:
        async with stack.client(token) as phone:
            r = await phone.post("/v1/alerts/raise", json=HERE)
    finally:
        services.clock = real
    assert r.status_code == 201 and r.json()["status"] == "awaiting_confirmation", r.text
    return r.json()


async def _live_snapshot(trust) -> dict:
    ticket = (await trust.admin.post(f"/v1/trusts/{trust.id}/live/tickets")).json()["ticket"]
    async with trust.admin.stream("GET", f"/v1/trusts/{trust.id}/live", params={"ticket": ticket}) as live:
        return await EventStream(live).next("snapshot")


async def test_an_alarm_nobody_confirms_in_time_is_closed_and_everyone_is_told(stack, receiver_factory):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    hook = await receiver_factory([trust.cad_key])
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}", json={"alerter_callback_url": hook.url})
    assert r.status_code == 200, r.text
    kit, lou = await make_alerter(stack, trust, "kit", "Kit"), await make_alerter(stack, trust, "lou", "Lou")

    # Lou's alarm is raised now: its wait has most of ten minutes to run.
    fresh = await _raise(stack, lou)
    # Kit's alarm was raised a little more than ten minutes ago; Kit's page follows it.
    sock = await alerter_online(stack, kit)
    stale = await _raise(stack, kit, earlier_by=WAIT_S + 60)
    incident_id = stale["incident_id"]

    ended = await help_until(sock, timeout=30, incident_id=incident_id, status="closed")
    assert ended["reason_code"] == "not_confirmed" and ended["alerted"] == ended["accepted"] == 0
    down = await sock.next("stand_down", incident_id=incident_id)
    assert down == {
        "type": "stand_down",
        "incident_id": incident_id,
        "reason": "closed",
        "reason_code": "not_confirmed",
    }

    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert (view["status"], view["reason_code"]) == ("closed", "not_confirmed")
    assert view["reason"] == "nobody confirmed the alarm within 10 minutes" and view["responders"] == []
    events = [t["event"] for t in view["timeline"]]
    assert events.count("confirmation_expired") == 1 and "cad.incident.stood_down" in events
    assert next(t for t in view["timeline"] if t["event"] == "confirmation_expired")["after_s"] == WAIT_S

    # The CAD hears it ended, signed, as when an alarm is cancelled.
    await hook.wait_for(lambda rc: len([e for e in rc.events if e["incident_id"] == incident_id]) >= 2, timeout=30)
    told = [e for e in hook.events if e["incident_id"] == incident_id]
    assert [e["event"] for e in told] == ["incident.raised", "incident.stood_down"]
    assert told[1]["status"] == "closed" and told[1]["reason_code"] == "not_confirmed"
    assert told[1]["reason"] == view["reason"]
    WebhookEvent.model_validate(told[1])
    head = next(a for a in hook.attempts if a.event == "incident.stood_down")
    assert head.verified and verify(head.signature, head.raw, trust.cad_key, now=time.time()) > 0

    # The live map: Lou's alarm is still held, with when it closes; Kit's has left the held list.
    shown = {i["id"]: i for i in (await _live_snapshot(trust))["incidents"]}
    held = [i for i, v in shown.items() if v["status"] == "awaiting_confirmation"]
    assert held == [fresh["incident_id"]]
    due = _ts(shown[fresh["incident_id"]]["confirm_by"]) - _ts(shown[fresh["incident_id"]]["created_at"])
    assert abs(due - WAIT_S) < 0.002  # both are written to the millisecond
    if incident_id in shown:  # kept a while, greyed, as every ended incident
        assert shown[incident_id]["ended"] is True and shown[incident_id]["confirm_by"] is None
        assert shown[incident_id]["reason"] == view["reason"]

    # Too late to confirm or adopt it; the alerter is free to raise the next emergency.
    late = await trust.cad.post(f"/v1/incidents/{incident_id}/confirm")
    assert late.status_code == 409 and late.json()["code"] == "incident_ended"
    async with stack.client(kit) as phone:
        assert (await phone.get("/v1/alerts/current")).status_code == 404
    assert (await _raise(stack, kit))["incident_id"] != incident_id
    assert (await trust.cad.get(f"/v1/incidents/{fresh['incident_id']}")).json()["status"] == "awaiting_confirmation"
    await sock.close()
    await trust.close()


async def test_the_timeout_is_a_policy_setting_refused_out_of_range(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", confirm_timeout_s=120))
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["alerter"]["confirm_timeout_s"] == 120
    token = await make_alerter(stack, trust, "max")
    raised = await _raise(stack, token)
    shown = {i["id"]: i for i in (await _live_snapshot(trust))["incidents"]}
    due = _ts(shown[raised["incident_id"]]["confirm_by"]) - _ts(shown[raised["incident_id"]]["created_at"])
    assert abs(due - 120) < 0.002
    for bad in (30, 7200, "600"):
        r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=alerter_policy(confirm_timeout_s=bad))
        assert r.status_code == 422, r.text
        assert "alerter.confirm_timeout_s" in {e["loc"] for e in r.json()["errors"]}, r.json()
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["alerter"]["confirm_timeout_s"] == 120
    await trust.close()


async def test_an_alarm_held_from_before_it_had_a_timer_is_closed_by_the_sweep_too(stack):
    """A held alarm saved without a timer (raised before alarms had one) is woken by the sweep,
    which closes it once its wait is over."""
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    token = await make_alerter(stack, trust, "ned")
    sock = await alerter_online(stack, token)
    incident_id = (await _raise(stack, token))["incident_id"]
    await help_until(sock, incident_id=incident_id, status="awaiting_confirmation")
    services = build_services(stack.settings)
    try:
        async with services.sessions() as session:
            row = await session.get(Incident, incident_id)
            assert row is not None and row.wake_at is not None
            row.wake_at, row.created_at = None, row.created_at - timedelta(seconds=WAIT_S + 60)
            await session.commit()
    finally:
        await services.aclose()
    ended = await help_until(sock, timeout=30, incident_id=incident_id, status="closed")
    assert ended["reason_code"] == "not_confirmed"
    await sock.close()
    await trust.close()


async def test_a_page_that_connects_after_its_alarm_was_closed_is_told_how_it_ended(stack):
    """The page connects its socket moments after the raise; an alarm closed in between (here its
    wait ran out at once) must still reach it, not leave it saying the alert is being checked."""
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    kit = await make_alerter(stack, trust, "kit", "Kit")
    incident_id = (await _raise(stack, kit, earlier_by=WAIT_S + 60))["incident_id"]

    async def closed() -> bool:
        return (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()["status"] == "closed"

    await until(closed, timeout=30, what="the held alarm closed by the sweep")
    lou = await make_alerter(stack, trust, "lou", "Lou")
    nosy = await ResponderSocket.connect(f"{alerter_ws(stack)}?incident={incident_id}", lou, via_message=True)
    assert nosy.ready["incident_id"] is None  # not an alarm Lou raised: nothing to follow
    await nosy.close()
    plain = await alerter_online(stack, kit)  # a socket asking for nothing follows only what is open
    assert plain.ready["incident_id"] is None
    await plain.close()
    sock = await ResponderSocket.connect(f"{alerter_ws(stack)}?incident={incident_id}", kit, via_message=True)
    assert sock.ready["incident_id"] == incident_id
    ended = await help_until(sock, incident_id=incident_id, status="closed")
    assert ended["reason_code"] == "not_confirmed"
    assert (await sock.next("stand_down", incident_id=incident_id))["reason_code"] == "not_confirmed"
    await sock.close()
    await trust.close()
