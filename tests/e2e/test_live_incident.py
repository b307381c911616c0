"""A CAD posts an incident: two responder pages alert, one accepts (the other is stood down at once,
the limit being one) and arrives, and the admin map follows it all live with phase rings."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.e2e.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot, sign_in_admin, until
from tests.e2e.responder_phone import invite_url
from tests.support.clients import CENTRE, make_trust, north_of

REACHABLE = "On duty — you can be alerted"

pytestmark = pytest.mark.e2e  # a real browser against the real stack


async def test_alert_accept_and_live_map(stack, browsing):
    trust = await make_trust(stack)
    await trust.responder("ann", ["staff"])
    await trust.responder("bob", ["staff"])
    aed_at = north_of(CENTRE, 50)
    r = await trust.aed("lib-1", "City Library", aed_at)
    assert r.status_code == 200, r.text

    admin = await browsing.page()
    await sign_in_admin(admin, stack, trust.admin_key)
    await expect(admin.locator("#live-status")).to_have_text("Live")
    await expect(admin.locator("#no-incidents")).to_be_visible()

    sockets: dict[str, list] = {"ann": [], "bob": []}

    async def responder_page(rid: str, metres: float):
        here = north_of(CENTRE, metres)
        page = await browsing.page(
            viewport=PHONE,
            permissions=["geolocation"],
            geolocation={"latitude": here[0], "longitude": here[1], "accuracy": 8},
        )

        def relay(ws):  # pass the socket through, keeping a handle to cut it as a network drop would
            ws.connect_to_server()
            sockets[rid].append(ws)

        await page.route_web_socket(re.compile(r".*/v1/responders/ws$"), relay)
        await page.goto(await invite_url(trust, rid))  # the invite link signs the page in
        await expect(page.locator("#duty-state")).to_have_text(REACHABLE)
        await expect(page.locator("#location-status")).to_contain_text("Location shared")
        await expect(page.get_by_role("switch", name="On duty")).to_be_checked()
        return page

    phone = await responder_page("ann", 100)
    await phone.wait_for_function("async () => !!(await navigator.serviceWorker.getRegistration('/responder'))")

    # The connection drops: the page reconnects by itself.
    await sockets["ann"][0].close(code=4012, reason="server restarting; reconnect")
    await until(lambda: asyncio.sleep(0, len(sockets["ann"]) == 2))
    await expect(phone.locator("#duty-state")).to_have_text(REACHABLE)
    other = await responder_page("bob", 150)

    async def staff_near(expected: int):
        r = await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 200})
        return r.json()["by_group"].get("staff", 0) == expected

    await until(lambda: staff_near(2))

    # The availability switch takes bob out of the search and back.
    switch = other.get_by_role("switch", name="On duty")
    await switch.press("Space")
    await expect(switch).not_to_be_checked()
    await until(lambda: staff_near(1))
    await switch.click()
    await until(lambda: staff_near(2))

    r = await trust.cad.post(
        "/v1/incidents",
        # A public place: its address is shown before acceptance (a home's waits for the accept).
        json={
            "cad_ref": "WEB-1",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
            "address": "1 Park Row",
        },
    )
    assert r.status_code == 201 and r.json()["alerted"] == 2, r.text
    incident_id = r.json()["id"]

    card = phone.locator("article.alert-card")
    await expect(card).to_have_count(1)
    await expect(card.locator(".kicker")).to_have_text("Emergency alert")
    await expect(card.get_by_role("heading")).to_have_text("Cardiac arrest — not breathing")
    await expect(card).to_contain_text("100 m away")
    await expect(card).to_contain_text("1 Park Row")
    await expect(card).to_contain_text("Nearest defibrillator: City Library, 50 m from the patient")
    await expect(card).to_contain_text("Access: 24/7")

    entry = admin.locator(f'#incident-list li[data-incident-id="{incident_id}"]')
    await expect(entry).to_contain_text("WEB-1")
    await expect(admin.locator(f"path.ring.inc-{incident_id}")).to_have_count(2)
    await expect(admin.locator(f"path.ring-phase-0.ring-fired.inc-{incident_id}")).to_have_count(1)
    await expect(admin.locator(f"path.responder.inc-{incident_id}.state-alerted")).to_have_count(2)
    await expect(admin.locator(f"path.aed.inc-{incident_id}")).to_have_count(1)
    other_card = other.locator("article.alert-card")
    await expect(other_card).to_contain_text("150 m away")

    await card.get_by_role("button", name="Accept").click()
    await expect(card.locator(".kicker")).to_have_text("You are assigned: go now")
    await expect(card.get_by_role("button", name="I've arrived")).to_be_focused()
    await expect(other_card.locator(".kicker")).to_have_text("Stood down")
    await expect(other_card).to_contain_text("Enough responders have accepted")
    await expect(other_card.get_by_role("button", name="Accept")).to_have_count(0)
    status = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    assert {x["id"]: x["state"] for x in status["responders"]} == {"ann": "accepted", "bob": "stood_down"}
    await expect(admin.locator(f"path.responder.inc-{incident_id}.state-accepted")).to_have_count(1)
    await expect(admin.locator(f"path.responder.inc-{incident_id}")).to_have_count(1)  # bob is gone
    await expect(entry.locator('li[data-responder-id="ann"]')).to_have_attribute("data-state", "accepted")

    await screenshot(phone, "responder-assigned-phone", viewport=PHONE)
    await assert_fits_width(phone)
    await assert_accessible(phone)
    await screenshot(phone, "responder-assigned-desktop", viewport=DESKTOP)
    await screenshot(admin, "admin-map-desktop", viewport=DESKTOP)
    await screenshot(admin, "admin-map-phone", viewport=PHONE)
    await assert_fits_width(admin)
    await assert_accessible(admin)
    await phone.set_viewport_size(PHONE)

    await card.get_by_role("button", name="I've arrived").click()
    await expect(card.locator(".kicker")).to_have_text("On scene")
    await expect(admin.locator(f"path.responder.inc-{incident_id}.state-arrived")).to_have_count(1)

    async def cad_sees_arrival():
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        return {x["id"]: x["state"] for x in view["responders"]}["ann"] == "arrived"

    await until(cad_sees_arrival)

    r = await trust.cad.post(f"/v1/incidents/{incident_id}/close")
    assert r.status_code == 200, r.text
    # Closed, it stays a while, greyed, with nobody on it.
    await expect(entry).to_have_class(re.compile(r"\bended\b"))
    await expect(entry).to_contain_text("Closed")
    await expect(admin.locator(f"path.incident.ended.inc-{incident_id}")).to_have_count(1)
    await expect(admin.locator(f"path.responder.inc-{incident_id}")).to_have_count(0)

    await admin.get_by_role("link", name="Audit").click()
    timeline = admin.locator(f'#incident-timelines details[data-incident-id="{incident_id}"]')
    await timeline.locator("summary").click()
    events = timeline.locator("li")
    await expect(events.first).to_contain_text("Closed; stood down: everyone still involved")  # newest first
    await expect(events.last).to_contain_text("Reported: category 09-E-01")
    await expect(timeline).to_contain_text("alerted 2 responders within")
    await expect(timeline).to_contain_text("Ann accepted")
    await expect(timeline).to_contain_text("Ann arrived on scene")
    await expect(timeline).not_to_contain_text("phase_fired")
    await screenshot(admin, "console-incident-timeline", viewport={"width": 1366, "height": 768})
    await trust.close()
