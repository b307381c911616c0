"""Raised alerts and the CAD (a signed `incident.raised`, the list by source, adoption keeping one
incident), and the rules against misuse (one open alert, a daily limit, suspension, the area, the
open link), all through the public API on the real stack."""

from __future__ import annotations

import asyncio
import time

import pytest

from alerting.domain.webhook_signature import verify
from alerting.services.context import build_services
from alerting.store import audit
from dispatch_adapter.webhook_schema import WebhookEvent
from tests.support.alerters import alerter_policy, make_alerter
from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.staff import signed_in

PROBLEM = "application/problem+json"
HERE = {"lat": CENTRE[0], "lon": CENTRE[1]}


async def raise_at(stack, token: str, where=HERE, **extra):
    async with stack.client(token) as phone:
        return await phone.post("/v1/alerts/raise", json={**where, **extra})


async def test_the_cad_hears_incident_raised_first_signed_with_its_key(stack, receiver_factory):
    trust = await make_trust(stack, policy=alerter_policy(mode="auto"))
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 80))
    receiver = await receiver_factory([trust.cad_key])
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}", json={"alerter_callback_url": receiver.url})
    assert r.status_code == 200 and r.json()["alerter_callback_url"] == receiver.url
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}")).json()["alerter_callback_url"] == receiver.url
    token = await make_alerter(stack, trust, "bea")

    raised = (await raise_at(stack, token)).json()
    alert = await amy.next("alert", incident_id=raised["incident_id"])
    await amy.send(type="accept", alert_id=alert["alert_id"])
    await receiver.wait_for(lambda rc: len(rc.events) >= 4, timeout=30)
    events = [e["event"] for e in receiver.events]
    assert events == ["incident.raised", "incident.alerting", "responder.accepted", "incident.filled"]
    first = receiver.events[0]
    assert first["incident_id"] == raised["incident_id"] and first["source"] == "alerter"
    assert first["alerter_id"] == "bea" and first["status"] == "alerting"
    assert (first["lat"], first["lon"]) == (CENTRE[0], CENTRE[1])
    assert first["cad_ref"] == f"alerter-{raised['incident_id']}"
    for e in receiver.events:
        WebhookEvent.model_validate(e)  # as /openapi.json documents it
    assert receiver.attempts and all(a.verified for a in receiver.attempts)
    head = next(a for a in receiver.attempts if a.event == "incident.raised")
    assert verify(head.signature, head.raw, trust.cad_key, now=time.time()) > 0  # the CAD's own check
    with pytest.raises(ValueError):
        verify(head.signature, head.raw, "not the cad key", now=time.time())

    # A refused address changes nothing.
    bad = await trust.admin.patch(f"/v1/trusts/{trust.id}", json={"alerter_callback_url": "http://10.1.2.3/x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "alerter_callback_url"
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}")).json()["alerter_callback_url"] == receiver.url
    await amy.close()
    await trust.close()


async def test_the_cad_adopts_a_raised_alert_and_it_stays_one_incident(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    await trust.responder("amy", ["staff"])
    amy = await online(stack, trust, "amy", north_of(CENTRE, 40))
    token = await make_alerter(stack, trust, "cy")
    raised = (await raise_at(stack, token)).json()
    incident_id = raised["incident_id"]
    await trust.cad.post("/v1/incidents", json={"cad_ref": "CAD-OTHER", **HERE, "category": "09-E-01"})

    listed = (await trust.cad.get("/v1/incidents", params={"source": "alerter"})).json()
    assert [(i["id"], i["status"], i["alerter_id"]) for i in listed] == [(incident_id, "awaiting_confirmation", "cy")]
    assert {i["source"] for i in (await trust.cad.get("/v1/incidents")).json()} == {"alerter", "cad"}

    taken = await trust.cad.patch(f"/v1/incidents/{incident_id}", json={"cad_ref": "CAD-OTHER"})
    assert taken.status_code == 409 and taken.json()["code"] == "cad_ref_taken"
    adopted = await trust.cad.patch(f"/v1/incidents/{incident_id}", json={"cad_ref": "CAD-900"})
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["cad_ref"] == "CAD-900" and adopted.json()["status"] == "alerting"  # adoption confirms
    alert = await amy.next("alert", incident_id=incident_id)

    # The CAD's own post of that call finds the same incident and alerts nobody new.
    again = await trust.cad.post("/v1/incidents", json={"cad_ref": "CAD-900", **HERE, "category": "09-E-01"})
    assert again.status_code == 200 and again.json()["id"] == incident_id
    assert len((await trust.cad.get("/v1/incidents", params={"source": "alerter"})).json()) == 1
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert [r["id"] for r in view["responders"]] == ["amy"]
    assert "adopted" in [t["event"] for t in view["timeline"]]

    twice = await trust.cad.patch(f"/v1/incidents/{incident_id}", json={"cad_ref": "CAD-901"})
    assert twice.status_code == 409 and twice.json()["code"] == "already_adopted"
    cad_incident = (await trust.cad.get("/v1/incidents", params={"source": "cad"})).json()[0]["id"]
    refused = await trust.cad.patch(f"/v1/incidents/{cad_incident}", json={"cad_ref": "CAD-902"})
    assert refused.status_code == 409 and refused.json()["code"] == "not_raised_by_alerter"

    # And it ends as any incident does.
    assert (await trust.cad.post(f"/v1/incidents/{incident_id}/close")).json()["status"] == "closed"
    assert (await amy.next("stand_down", alert_id=alert["alert_id"]))["reason"] == "closed"
    async with stack.client(token) as phone:
        assert (await phone.get("/v1/alerts/current")).status_code == 404
    await amy.close()
    await trust.close()


async def test_one_open_alert_and_a_daily_limit_answer_429_with_retry_after(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", max_per_day=2))
    token = await make_alerter(stack, trust, "dan")
    first = await raise_at(stack, token)
    assert first.status_code == 201
    second = await raise_at(stack, token)
    assert second.status_code == 429 and second.headers["content-type"].startswith(PROBLEM)
    assert second.headers["Retry-After"] == "60" and second.json()["code"] == "alert_open"
    assert "999" in second.json()["detail"] and second.json()["incident_id"] == first.json()["incident_id"]
    await trust.cad.post(f"/v1/incidents/{first.json()['incident_id']}/cancel", json={"reason": "a test"})

    assert (await raise_at(stack, token)).status_code == 201  # the second of the day
    listed = (await trust.admin.get(f"/v1/trusts/{trust.id}/alerters")).json()
    assert listed[0]["raised_today"] == 2 and listed[0]["open_alert"] is not None
    await trust.cad.post(f"/v1/incidents/{listed[0]['open_alert']}/cancel", json={"reason": "a test"})
    third = await raise_at(stack, token)
    assert third.status_code == 429 and third.json()["code"] == "daily_limit"
    assert 86_000 < int(third.headers["Retry-After"]) <= 86_400
    assert len((await trust.cad.get("/v1/incidents", params={"source": "alerter"})).json()) == 2  # nothing new
    await trust.close()


async def test_a_suspended_alerter_is_refused_with_403_until_reinstated(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", emergency_number="112"))
    token = await make_alerter(stack, trust, "eve", "Eve Vans")
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dee Spatcher")
    viewer = await signed_in(stack, trust, roles=["viewer"], name="Vi Ewer")
    path = f"/v1/trusts/{trust.id}/alerters/eve"
    assert (await viewer.http.patch(path, json={"suspended": True})).status_code == 403
    r = await dispatcher.http.patch(path, json={"suspended": True})
    assert r.status_code == 200, r.text
    assert r.json()["suspended"] is True and r.json()["suspended_by"] == "Dee Spatcher"

    refused = await raise_at(stack, token)
    assert refused.status_code == 403 and refused.json()["code"] == "alerter_suspended"
    assert "112" in refused.json()["detail"] and refused.json()["emergency_number"] == "112"
    assert (await trust.cad.get("/v1/incidents", params={"source": "alerter"})).json() == []

    assert (await dispatcher.http.patch(path, json={"suspended": False})).json()["suspended"] is False
    assert (await raise_at(stack, token)).status_code == 201
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "alerter."})).json()
    suspended = next(a for a in audit if a["action"] == "alerter.suspend")
    assert suspended["actor"]["name"] == "Dee Spatcher" and suspended["subject"] == "alerter Eve Vans"
    await dispatcher.close()
    await viewer.close()
    await trust.close()


async def test_outside_the_area_or_with_alerters_off_the_raise_says_to_call_the_number(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="auto"))
    token = await make_alerter(stack, trust, "fay")
    outside = await raise_at(stack, token, {"lat": 51.5, "lon": -0.12})
    assert outside.status_code == 422 and outside.headers["content-type"].startswith(PROBLEM)
    assert outside.json()["code"] == "outside_area" and "call 999" in outside.json()["detail"]
    bad = await raise_at(stack, token, {"lat": 91, "lon": 0})
    assert bad.status_code == 422
    off = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=alerter_policy(enabled=False))
    assert off.status_code == 200
    disabled = await raise_at(stack, token)
    assert disabled.status_code == 403 and disabled.json()["code"] == "alerters_disabled"
    assert (await trust.cad.get("/v1/incidents", params={"source": "alerter"})).json() == []
    await trust.close()


async def test_anyone_may_join_from_the_open_link_while_the_policy_says_so(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", who="anyone"))
    first = (await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/open-invite")).json()
    assert first["invite_url"].endswith(f"/alert#invite={first['code']}")
    async with stack.client() as phone:
        a = await phone.post("/v1/invites/redeem", json={"code": first["code"], "name": "Gus"})
        b = await phone.post("/v1/invites/redeem", json={"code": first["code"]})
    assert a.status_code == b.status_code == 201
    assert a.json()["alerter_id"] != b.json()["alerter_id"]
    assert (await raise_at(stack, a.json()["token"])).status_code == 201
    names = {
        x["id"]: (x["name"], x["origin"]) for x in (await trust.admin.get(f"/v1/trusts/{trust.id}/alerters")).json()
    }
    assert names[a.json()["alerter_id"]] == ("Gus", "open") and names[b.json()["alerter_id"]] == ("Alerter", "open")

    rotated = (await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/open-invite")).json()
    async with stack.client() as phone:
        old = await phone.post("/v1/invites/redeem", json={"code": first["code"]})
        assert old.status_code == 410 and old.json()["code"] == "invite_replaced"
        await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=alerter_policy(mode="confirm", who="registered"))
        closed = await phone.post("/v1/invites/redeem", json={"code": rotated["code"]})
        assert closed.status_code == 410 and closed.json()["code"] == "invite_closed"
    # those who joined from the open link may no longer raise once only invited alerters may
    refused = await raise_at(stack, b.json()["token"])
    assert refused.status_code == 403 and refused.json()["code"] == "alerters_disabled"
    await trust.close()


async def test_raises_racing_from_one_alerter_open_one_alert(any_stack):
    """The alerter's row is held for the whole raise: of several at once exactly one opens an alert."""
    stack = any_stack
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", max_per_day=20))
    token = await make_alerter(stack, trust, "hal")
    async with stack.client(token) as phone:
        answers = await asyncio.gather(*(phone.post("/v1/alerts/raise", json=HERE) for _ in range(6)))
    assert sorted(r.status_code for r in answers) == [201] + [429] * 5
    assert {r.json()["code"] for r in answers if r.status_code == 429} == {"alert_open"}
    tried = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "alerter.raise"})).json()
    refused = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "alerter.raise_refused"})).json()
    assert len(tried) == 1 and [e["after"]["refusal"] for e in refused] == ["alert_open"] * 5
    raised = (await trust.cad.get("/v1/incidents", params={"source": "alerter"})).json()
    assert len(raised) == 1 and raised[0]["status"] == "awaiting_confirmation"
    # A cancelled raise frees the alerter for the next emergency.
    cancelled = await trust.cad.post(f"/v1/incidents/{raised[0]['id']}/cancel", json={"reason": "a test"})
    assert cancelled.json()["status"] == "cancelled"
    assert (await raise_at(stack, token)).status_code == 201
    await trust.close()


async def test_joining_from_the_open_link_is_limited_per_address(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", who="anyone"))
    link = (await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/open-invite")).json()
    burst = stack.settings.registration_burst
    async with stack.client() as phone:
        joined = [await phone.post("/v1/invites/redeem", json={"code": link["code"]}) for _ in range(burst)]
        assert {r.status_code for r in joined} == {201}
        over = await phone.post("/v1/invites/redeem", json={"code": link["code"], "name": "One too many"})
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert "token" not in over.json()
    listed = (await trust.admin.get(f"/v1/trusts/{trust.id}/alerters")).json()
    assert len(listed) == burst and "One too many" not in {a["name"] for a in listed}  # the refusal made no one
    await trust.close()


async def test_every_raise_is_audited_with_the_alerter_and_its_outcome_and_a_refusal_changes_nothing_else(stack):
    """Refused raises roll back, yet each is in the audit: in words, with why, never where."""
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", max_per_day=2, emergency_number="112"))
    token = await make_alerter(stack, trust, "ivy", "Ivy Green")
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dee Spatcher")
    outside = {"lat": 51.501234, "lon": -0.123456}
    answers = [await raise_at(stack, token, outside)]
    answers.append(first := await raise_at(stack, token))
    answers.append(await raise_at(stack, token))  # the first is still open
    await trust.cad.post(f"/v1/incidents/{first.json()['incident_id']}/cancel", json={"reason": "a test"})
    answers.append(second := await raise_at(stack, token))
    await trust.cad.post(f"/v1/incidents/{second.json()['incident_id']}/cancel", json={"reason": "a test"})
    answers.append(await raise_at(stack, token))  # two a day
    path = f"/v1/trusts/{trust.id}/alerters/ivy"
    assert (await dispatcher.http.patch(path, json={"suspended": True})).status_code == 200
    answers.append(await raise_at(stack, token))
    assert (await dispatcher.http.patch(path, json={"suspended": False})).status_code == 200
    await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=alerter_policy(enabled=False, emergency_number="112"))
    answers.append(await raise_at(stack, token))
    assert [(r.status_code, r.json().get("code")) for r in answers] == [
        (422, "outside_area"),
        (201, None),
        (429, "alert_open"),
        (201, None),
        (429, "daily_limit"),
        (403, "alerter_suspended"),
        (403, "alerters_disabled"),
    ]
    for r in answers:
        if r.status_code != 201:  # still the problem+json the phone reads, with the number to call
            assert r.headers["content-type"].startswith(PROBLEM) and r.json()["emergency_number"] == "112"

    entries = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "alerter.raise"})).json()
    entries += (
        await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "alerter.raise_refused"})
    ).json()
    entries.sort(key=lambda e: e["id"])
    assert [(e["action"], e["after"]["outcome"], e["after"].get("refusal")) for e in entries] == [
        ("alerter.raise_refused", "refused", "outside_area"),
        ("alerter.raise", "raised", None),
        ("alerter.raise_refused", "refused", "alert_open"),
        ("alerter.raise", "raised", None),
        ("alerter.raise_refused", "refused", "daily_limit"),
        ("alerter.raise_refused", "refused", "alerter_suspended"),
        ("alerter.raise_refused", "refused", "alerters_disabled"),
    ]
    for e in entries:
        assert e["actor"]["kind"] == "alerter" and e["actor"]["id"].startswith("ps_")  # a pseudonym
        assert e["actor"]["name"] == "alerter Ivy Green"
    refused = [e for e in entries if e["action"] == "alerter.raise_refused"]
    assert refused[0]["what"] == "Tried to raise an alert, refused" and refused[0]["subject"] == "alerter Ivy Green"
    assert refused[0]["changes"] == ["refused because: the place is outside the trust's area"]
    assert [e["changes"] for e in refused[1:]] == [
        ["refused because: their earlier alert is still open"],
        ["refused because: they raised as many alerts as a day allows"],
        ["refused because: the alerter is suspended"],
        ["refused because: the trust is not taking alerts from alerters"],
    ]
    by_kind = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"actor_kind": "alerter"})).json()
    assert {e["action"] for e in by_kind} == {"alerter.invite_redeemed", "alerter.raise", "alerter.raise_refused"}
    # No position of the alerter, nor the token, in what the refusals recorded.
    assert all(set(e["after"]) == {"outcome", "refusal"} for e in refused)  # nor their name: a pseudonym names them
    assert "51.50" not in str(refused) and "-0.12" not in str(refused) and token not in str(entries)

    # Nothing else changed: two alerts raised, none open, the chain intact.
    raised = (await trust.cad.get("/v1/incidents", params={"source": "alerter"})).json()
    assert sorted(i["status"] for i in raised) == ["cancelled", "cancelled"]
    listed = (await trust.admin.get(f"/v1/trusts/{trust.id}/alerters")).json()
    assert [(a["raised_today"], a["open_alert"], a["suspended"]) for a in listed] == [(2, None, False)]
    services = build_services(stack.settings)
    try:
        async with services.sessions() as session:
            assert await audit.verify(session) == []
    finally:
        await services.aclose()
    await dispatcher.close()
    await trust.close()
