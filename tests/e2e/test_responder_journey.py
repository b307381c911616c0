"""The volunteer's journey on a phone, at 360×640 (Android) and 390×844 (iPhone): an invite link
signs the app in, an incident from the CAD wakes it (sound, vibration, flashing title, countdown),
Navigate opens the phone's maps, accept → arrived (confirmed when far) → the CAD cancels and the
phone says so, out loud."""

from __future__ import annotations

import itertools
import re
import statistics

import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot, until
from tests.e2e.responder_phone import ANDROID, IPHONE, SMALL, TALL, join, now_ms, phone_page, sounds, staff_near
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e

POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 300,
    "categories": ["09-*"],
}


@pytest.mark.parametrize(
    ("viewport", "agent", "maps"),
    [(SMALL, ANDROID, "geo:"), (TALL, IPHONE, "https://maps.apple.com/?daddr=")],
    ids=["360x640-android", "390x844-iphone"],
)
async def test_invite_alert_accept_arrive_cancelled(stack, browsing, viewport, agent, maps):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("ann", ["staff"])
    aed_at = north_of(CENTRE, 60)
    assert (await trust.aed("lib-1", "City Library", aed_at, access="Reception, 8am to 8pm")).status_code == 200
    start = north_of(CENTRE, 400)
    phone = await phone_page(browsing, start, viewport=viewport, user_agent=agent)

    # Joining: the invite link signs the app in; the code leaves the address bar, the token stays.
    await join(phone, trust, "ann")
    assert "#invite=" not in phone.url
    token = await phone.evaluate("localStorage.getItem('alerting.responder-token')")
    assert token and len(token) > 20
    await expect(phone.get_by_role("switch", name="On duty")).to_be_checked()
    await expect(phone.locator("#location-status")).to_contain_text("Location shared")
    await until(lambda: staff_near(trust, CENTRE, 1))
    await screenshot(phone, f"journey-on-duty-{viewport['width']}")
    await assert_accessible(phone)

    posted_at = await now_ms(phone)
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "JOURNEY-1",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
            "address": "1 Park Row",
        },
    )
    assert r.status_code == 201 and r.json()["alerted"] == 1, r.text
    incident_id = r.json()["id"]

    # Being woken: the card, in words, with its answer buttons on the first screen.
    card = phone.locator("article.alert-card")
    await expect(card).to_have_count(1)
    await expect(card.get_by_role("heading")).to_contain_text("Cardiac arrest")
    await expect(card.locator(".kicker")).to_have_text("Emergency alert")
    await expect(card).to_contain_text("400 m away")
    await expect(card).to_contain_text("Address: 1 Park Row")
    await expect(card).to_contain_text("Nearest defibrillator: City Library, 60 m from the patient")
    await expect(card).to_contain_text("Access: Reception, 8am to 8pm")
    accept = card.get_by_role("button", name="Accept")
    decline = card.get_by_role("button", name="Decline")
    await expect(accept).to_be_in_viewport(ratio=1)
    await expect(decline).to_be_in_viewport(ratio=1)
    await screenshot(phone, f"journey-alerted-{viewport['width']}")

    # Sound and vibration started, and repeat; the tab title flashes.
    await until(lambda: _count(phone, posted_at, 8))  # two rings of four tones
    vibrations = await phone.evaluate("window.__vibrations.filter(v => Array.isArray(v.pattern))")
    assert len(vibrations) >= 2, vibrations
    await phone.wait_for_function("() => document.title === 'ALERT — answer now'")

    # A countdown, not a clock time, and it runs.
    countdown = card.get_by_role("timer")
    await expect(countdown).to_have_text(re.compile(r"^Answer within [45]:\d\d$"))
    first = await countdown.text_content()
    await expect(countdown).not_to_have_text(first)

    # Navigate opens the phone's own maps app.
    to_patient = card.get_by_role("link", name="Navigate to the patient")
    to_aed = card.get_by_role("link", name="Navigate to the defibrillator")
    await expect(to_patient).to_have_attribute(
        "href", re.compile("^" + re.escape(f"{maps}{CENTRE[0]:.6f},{CENTRE[1]:.6f}"))
    )
    await expect(to_aed).to_have_attribute(
        "href", re.compile("^" + re.escape(f"{maps}{aed_at[0]:.6f},{aed_at[1]:.6f}"))
    )

    await assert_fits_width(phone)
    await assert_accessible(phone)

    # Accept: the alarm stops, the title comes back; the distance follows the responder.
    await accept.click()
    await expect(card.locator(".kicker")).to_have_text("You are assigned: go now")
    await expect(card).to_contain_text("Go to the patient.")
    await phone.wait_for_function("() => document.title === 'Responder'")
    await phone.context.set_geolocation({"latitude": north_of(CENTRE, 250)[0], "longitude": CENTRE[1], "accuracy": 8})
    await expect(card.locator(".distance")).to_have_text("250 m away")
    quiet_from = await now_ms(phone)

    # "I've arrived" 250 m away asks first.
    await card.get_by_role("button", name="I've arrived").click()
    await expect(card).to_contain_text("You seem to be 250 m from the scene")
    await card.get_by_role("button", name="Not yet").click()
    await expect(card.locator(".kicker")).to_have_text("You are assigned: go now")
    await card.get_by_role("button", name="I've arrived").click()
    await card.get_by_role("button", name="Yes, I'm there").click()
    await expect(card.locator(".kicker")).to_have_text("On scene")

    async def cad_sees(state: str) -> bool:
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        return {x["id"]: x["state"] for x in view["responders"]}["ann"] == state

    await until(lambda: cad_sees("arrived"))
    assert await sounds(phone, quiet_from, 880) == []  # the alarm stayed quiet after the accept

    # The CPR metronome: 110 clicks a minute, with short instructions.
    await expect(card.get_by_role("heading", name="CPR")).to_be_visible()
    await expect(card).to_contain_text("110 a minute")
    metronome_from = await now_ms(phone)
    await card.get_by_role("button", name="Start CPR metronome").click()
    await until(lambda: _count(phone, metronome_from, 4, hz=1000))
    clicks = await sounds(phone, metronome_from, 1000)
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(clicks)]
    assert 450 < statistics.median(gaps) < 900, gaps  # 60000 / 110 ≈ 545 ms; a busy machine only adds
    await screenshot(phone, f"journey-on-scene-{viewport['width']}")
    await card.get_by_role("button", name="Stop metronome").click()

    # The CAD cancels: an arrived responder is told, and hears it.
    cancelled_from = await now_ms(phone)
    r = await trust.cad.post(f"/v1/incidents/{incident_id}/cancel")
    assert r.status_code == 200, r.text
    await expect(card.locator(".kicker")).to_have_text("Call cancelled")
    await expect(card).to_contain_text("The ambulance service cancelled this call")
    await expect(card.locator(".ended-at")).to_have_text(re.compile(r"^Ended at \d\d:\d\d$"))
    await until(lambda: _count(phone, cancelled_from, 1, hz=784))
    await screenshot(phone, f"journey-cancelled-{viewport['width']}")
    await assert_accessible(phone)
    await card.get_by_role("button", name="Dismiss").click()
    await expect(card).to_have_count(0)
    await expect(phone.locator("#no-alerts")).to_be_visible()

    # History: the alert, with its outcome.
    await phone.get_by_role("link", name="History").click()
    item = phone.locator("#history-list li")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("Cardiac arrest")
    await expect(item).to_contain_text("You arrived on scene · call cancelled")
    await trust.close()


async def _count(page, since: int, at_least: int, hz: float | None = None) -> bool:
    return len(await sounds(page, since, hz)) >= at_least
