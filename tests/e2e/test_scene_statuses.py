"""Statuses from the scene on the phone, at 390×844: "I've arrived" reports the arrival as
`on_scene`; on scene, "I'm with the patient" and "CPR started" are one tap each, become a line
saying when they were sent, and reach the incident's view, its timeline and the CAD."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot, sign_in_admin, until
from tests.e2e.responder_phone import IPHONE, TALL, join, phone_page, staff_near
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e

POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 300,
    "categories": ["09-*"],
}


async def test_a_responder_on_scene_reports_with_the_patient_and_cpr_started(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("ann", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 30), viewport=TALL, user_agent=IPHONE)
    await join(phone, trust, "ann")
    await until(lambda: staff_near(trust, CENTRE, 1))
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "SCENE-1",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
        },
    )
    assert r.status_code == 201 and r.json()["alerted"] == 1, r.text
    incident_id = r.json()["id"]

    card = phone.locator("article.alert-card")
    await card.get_by_role("button", name="Accept").click()
    await expect(card.locator(".kicker")).to_have_text("You are assigned: go now")
    await expect(card.get_by_role("button", name="I'm with the patient")).to_have_count(0)  # not before arriving
    await card.get_by_role("button", name="I've arrived").click()
    await expect(card.locator(".kicker")).to_have_text("On scene")

    scene = card.get_by_role("region", name="Tell the control room")
    with_patient = scene.get_by_role("button", name="I'm with the patient")
    await expect(with_patient).to_be_visible()
    await expect(with_patient).to_be_in_viewport()
    await screenshot(phone, "scene-statuses-390")
    await with_patient.click()
    sent = scene.locator("li.sent[data-status=with_patient]")
    await expect(sent).to_have_text(re.compile(r"^With the patient: sent at \d\d:\d\d$"))
    await scene.get_by_role("button", name="CPR started").click()
    await expect(scene.locator("li.sent[data-status=cpr_started]")).to_contain_text("CPR started: sent at")
    await expect(scene.get_by_role("button", name="I have the defibrillator")).to_be_visible()
    await screenshot(phone, "scene-statuses-sent-390")
    await assert_fits_width(phone)
    await assert_accessible(phone)

    async def reported() -> dict:
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        return view

    await until(lambda: _has(reported, {"on_scene", "with_patient", "cpr_started"}))
    view = await reported()
    ann = {x["id"]: x for x in view["responders"]}["ann"]
    assert ann["state"] == "arrived"
    told = [t["status"] for t in view["timeline"] if t["event"] == "responder.status"]
    assert told == ["on_scene", "with_patient", "cpr_started"]

    # Reloaded, the phone still knows what it sent.
    await phone.reload()
    await expect(phone.locator("li.sent[data-status=cpr_started]")).to_contain_text("CPR started: sent at")

    # The console's timeline says it in words.
    admin = await browsing.page()
    await sign_in_admin(admin, stack, trust.admin_key)
    await admin.get_by_role("link", name="Audit").click()
    timeline = admin.locator(f'#incident-timelines details[data-incident-id="{incident_id}"]')
    await timeline.locator("summary").click()
    await expect(timeline).to_contain_text("Ann is on scene")
    await expect(timeline).to_contain_text("Ann is with the patient")
    await expect(timeline).to_contain_text("Ann has started CPR")
    await expect(timeline).to_contain_text("CAD to be told Ann has started CPR")
    await expect(timeline).not_to_contain_text("responder.status")
    await trust.close()


async def _has(read, statuses: set[str]) -> bool:
    view = await read()
    return set({x["id"]: x for x in view["responders"]}["ann"]["statuses"]) == statuses
