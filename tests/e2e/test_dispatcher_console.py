"""A dispatcher works an incident from the console's map: sees "0 of 1 accepted", the next phase
counting down and who else could go; clicks a responder on the map and confirms to alert them;
messages everyone alerted; reads the reply; and watches the responder's track as they come (their
marker moves, the panel says when they were last seen and when they are expected). The incident,
once cancelled, stays greyed on the map and is found again by its CAD reference."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot, sign_in_staff, until
from tests.e2e.responder_phone import TALL, join, phone_page
from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of, online
from tests.support.staff import PASSWORD, invite

pytestmark = pytest.mark.e2e  # a real browser against the real stack

CONTROL_ROOM = {"width": 1366, "height": 900}
POLICY = {
    "phases": [
        {"name": "close", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "wider", "groups": ["staff"], "radius_m": 1500, "delay_s": 3600},
    ],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["09-E-*"],
    "location_max_age_s": 900,
}


async def marker_centre(page: Page, selector: str) -> tuple[float, float] | None:
    """Where a Leaflet circle marker is drawn on screen now (the centre of its path's box); None
    while the map is redrawing it (each update replaces the incident's layer)."""
    return await page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            if (!el) return null;
            const r = el.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        }""",
        selector,
    )


async def move(sock: ResponderSocket, metres: float) -> None:
    """A position the server takes: one sent within the app's rate limit is refused, and sent again."""
    lat, lon = north_of(CENTRE, metres)

    async def taken() -> bool:
        await sock.send(type="location", lat=lat, lon=lon, accuracy_m=8)
        await sock.roundtrip()
        refused = [f for f in sock.taken("error") if f.get("code") == "rate_limited"]
        for frame in refused:
            sock.frames.remove(frame)
        return not refused

    await until(taken)


async def test_a_dispatcher_alerts_a_responder_from_the_map_messages_them_and_follows_their_track(stack, browsing):
    trust = await make_trust(stack, policy=POLICY, name="Yorkshire Ambulance Service")
    await trust.responder("amy", ["staff"])
    await trust.responder("bob", ["staff"])
    amy = await phone_page(browsing, north_of(CENTRE, 60), viewport=TALL)  # Amy's phone; Bob's app is a socket
    await join(amy, trust, "amy")
    bob = await online(stack, trust, "bob", north_of(CENTRE, 700))  # beyond the first ring
    person = await invite(trust, roles=["dispatcher"], name="Dana Whitfield")
    r = await trust.admin.post(f"/v1/auth/invites/{person['invite_code']}", json={"password": PASSWORD})
    assert r.status_code == 200, r.text

    page = await browsing.page(viewport=CONTROL_ROOM)
    await sign_in_staff(page, stack, person["email"], PASSWORD)
    await expect(page.locator("#live-status")).to_have_text("Live")

    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "YAS-2026-0412",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
            "address": "Leeds Kirkgate Market, Vicar Lane",
        },
    )
    assert r.status_code == 201 and r.json()["alerted"] == 1, r.text
    incident_id = r.json()["id"]
    amy_card = amy.locator("article.alert-card")
    await expect(amy_card).to_have_count(1)

    entry = page.locator(f'#incident-list li[data-incident-id="{incident_id}"]')
    await expect(entry).to_contain_text("0 of 1 accepted")
    await expect(entry).to_contain_text("1 eligible nearby")
    await expect(entry).to_contain_text(re.compile(r"phase 'wider' in 59:\d\d"))
    await entry.get_by_role("button", name="Open YAS-2026-0412").click()
    panel = page.locator("#incident-panel")
    await expect(panel.get_by_role("heading", name="YAS-2026-0412 · 09-E-01")).to_be_focused()
    await expect(panel.locator("#incident-facts")).to_contain_text("0 of 1 accepted")
    await expect(panel.locator("#incident-facts")).to_contain_text(re.compile(r"\d:\d\d since reported"))
    await expect(panel.locator("#nearby-list")).to_contain_text("Bob")
    candidate = page.locator("path.candidate.cand-bob")
    await expect(candidate).to_have_count(1)
    await screenshot(page, "dispatcher-incident-panel")

    # Alerting from the map asks first; going back sends nothing.
    await candidate.click()
    dialog = page.locator("#confirm-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Alert Bob (700 m, about")
    await expect(dialog).to_contain_text("to incident YAS-2026-0412?")
    await assert_accessible(page)
    await screenshot(page, "dispatcher-confirm-alert")
    await dialog.get_by_role("button", name="Back").click()
    await expect(dialog).to_be_hidden()
    await bob.roundtrip()
    assert bob.taken("alert") == []
    await candidate.click()
    await dialog.get_by_role("button", name="Alert Bob").click()
    await expect(page.locator("#incident-action-result")).to_have_text("Bob has been alerted.")
    alert = await bob.next("alert", incident_id=incident_id)
    await expect(panel.locator('#incident-responders li[data-responder-id="bob"]')).to_contain_text("Alerted")
    await expect(candidate).to_have_count(0)  # alerted: no longer a candidate
    await expect(page.locator(f"path.responder.inc-{incident_id}.state-alerted")).to_have_count(2)

    await panel.get_by_label("Message to everyone alerted or on the way").fill("Use the Vicar Lane entrance")
    await panel.get_by_role("button", name="Send message").click()
    await expect(page.locator("#incident-action-result")).to_have_text("Message sent to 2 responders.")
    frame = await bob.next("message")
    assert frame["from"] == "control" and frame["text"] == "Use the Vicar Lane entrance"
    await expect(amy_card.locator(".talk li.from-control")).to_contain_text("Control room")
    await expect(amy_card.locator(".talk li.from-control")).to_contain_text("Use the Vicar Lane entrance")
    await amy_card.get_by_label("Write to the control room").fill("I'm at the market doors")
    await amy_card.get_by_role("button", name="Send").click()
    await expect(amy_card.locator(".talk li.from-you")).to_contain_text("I'm at the market doors")
    await assert_fits_width(amy)
    await assert_accessible(amy)
    await screenshot(amy, "responder-message-phone")
    await bob.send(type="message", alert_id=alert["alert_id"], text="On my way, 6 minutes")
    messages = panel.locator("#incident-messages")
    await expect(messages.locator("li.from-control")).to_contain_text("Dana Whitfield: Use the Vicar Lane entrance")
    await expect(messages.locator("li.from-responder")).to_have_count(2)
    await expect(messages.locator("li.from-responder").first).to_contain_text("Amy: I'm at the market doors")
    await expect(messages.locator("li.from-responder").last).to_contain_text("Bob: On my way, 6 minutes")

    # Bob accepts and comes: his marker moves towards the incident, the panel says when he is expected.
    await bob.send(type="accept", alert_id=alert["alert_id"])
    await bob.next("assigned", alert_id=alert["alert_id"])
    await expect(entry).to_contain_text("1 of 1 accepted")
    bob_marker = f"path.responder.inc-{incident_id}.state-accepted"
    await expect(page.locator(bob_marker)).to_have_count(1)
    incident_marker = f"path.incident.inc-{incident_id}"
    start = await until(lambda: marker_centre(page, bob_marker))
    scene = await until(lambda: marker_centre(page, incident_marker))
    await move(bob, 350)

    async def closer() -> bool:
        here = await marker_centre(page, bob_marker)
        return here is not None and abs(here[1] - scene[1]) < abs(start[1] - scene[1]) - 5

    await until(closer)
    await expect(page.locator(f"path.track.inc-{incident_id}.track-bob")).to_have_count(1)  # where he has been
    await expect(entry.locator('li[data-responder-id="bob"]')).to_contain_text("350 m away now")
    await move(bob, 200)
    await expect(entry.locator('li[data-responder-id="bob"]')).to_contain_text("200 m away now")
    await expect(entry.locator('li[data-responder-id="bob"]')).to_contain_text(re.compile(r"expected in about \d+ min"))
    bob_line = panel.locator('#incident-responders li[data-responder-id="bob"]')
    await expect(bob_line).to_contain_text("Accepted")
    await expect(bob_line).to_contain_text(
        re.compile(r"last seen \d\d:\d\d:\d\d UTC, 200 m away, expected in about \d+ min")
    )
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    tracked = {x["id"]: x for x in view["responders"]}["bob"]
    assert tracked["position"]["lat"] == pytest.approx(north_of(CENTRE, 200)[0]) and tracked["eta_s"] > 0
    await screenshot(page, "dispatcher-track")

    # The dispatcher cancels it, saying why: it stays on the map, greyed, and is found again by its reference.
    await panel.get_by_text("Cancel this incident").click()
    await panel.get_by_role("button", name="Cancel incident").click()
    await expect(panel.locator("#cancel-error")).to_have_text("Say why the incident is cancelled.")
    await panel.get_by_label("Reason").fill("Crew on scene")
    await panel.get_by_role("button", name="Cancel incident").click()
    await expect(dialog).to_contain_text("Cancel incident YAS-2026-0412? Everyone alerted or on the way is stood down.")
    await dialog.get_by_role("button", name="Cancel the incident").click()
    await expect(page.locator("#incident-action-result")).to_have_text("The incident is cancelled.")
    assert (await bob.next("stand_down", alert_id=alert["alert_id"]))["reason"] == "cancelled"
    await expect(entry).to_have_class(re.compile(r"\bended\b"))
    await expect(entry).to_contain_text("Cancelled")
    await expect(page.locator(f"path.incident.inc-{incident_id}.ended")).to_have_count(1)
    await expect(panel.locator("#incident-actions")).to_be_hidden()
    await panel.get_by_role("button", name="Close the incident").click()
    await page.get_by_label("CAD reference").fill("2026-0412")
    await page.get_by_role("button", name="Find", exact=True).click()
    await expect(page.locator("#search-count")).to_have_text("1 incident found.")
    await page.locator("#search-results").get_by_role("button", name="YAS-2026-0412").click()
    await expect(panel.locator("#incident-facts")).to_contain_text("Cancelled · 1 of 1 accepted · reported")
    await panel.get_by_text("Timeline").click()
    await expect(panel.locator("#incident-timeline")).to_contain_text("Dana Whitfield alerted Bob by hand")
    await expect(panel.locator("#incident-timeline")).to_contain_text("Bob wrote: “On my way, 6 minutes”")
    await expect(panel.locator("#incident-timeline")).to_contain_text("Cancelled by Dana Whitfield: Crew on scene")
    await assert_accessible(page)
    await screenshot(page, "dispatcher-ended-and-found")
    await bob.close()
    await trust.close()


async def test_a_dispatcher_fires_the_next_phase_now_from_the_incident_panel(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("cole", ["staff"])
    cole = await online(stack, trust, "cole", north_of(CENTRE, 900))
    person = await invite(trust, roles=["dispatcher"], name="Dana Whitfield")
    r = await trust.admin.post(f"/v1/auth/invites/{person['invite_code']}", json={"password": PASSWORD})
    assert r.status_code == 200, r.text
    page = await browsing.page(viewport=CONTROL_ROOM)
    await sign_in_staff(page, stack, person["email"], PASSWORD)
    await expect(page.locator("#live-status")).to_have_text("Live")
    body = (
        await trust.cad.post(
            "/v1/incidents",
            json={
                "cad_ref": "YAS-ESC-1",
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": "09-E-01",
                "location_type": "public",
            },
        )
    ).json()
    assert body["alerted"] == 0
    entry = page.locator(f'#incident-list li[data-incident-id="{body["id"]}"]')
    await entry.get_by_role("button", name="Open YAS-ESC-1").click()
    panel = page.locator("#incident-panel")
    await expect(page.locator(f"path.ring-phase-1.ring-pending.inc-{body['id']}")).to_have_count(1)
    await panel.get_by_role("button", name="Fire phase 'wider' now").click()
    dialog = page.locator("#confirm-dialog")
    await expect(dialog).to_contain_text("Fire phase 'wider' of incident YAS-ESC-1 now, without waiting for its time?")
    await dialog.get_by_role("button", name="Fire phase 'wider' now").click()
    await expect(page.locator("#incident-action-result")).to_have_text("Phase 'wider' fired: 1 responder alerted.")
    await cole.next("alert", incident_id=body["id"])
    await expect(page.locator(f"path.ring-phase-1.ring-fired.inc-{body['id']}")).to_have_count(1)
    await expect(panel.get_by_role("button", name="Fire phase 'wider' now")).to_be_hidden()  # no phase left
    await expect(panel.locator("#incident-facts")).to_contain_text("every phase has fired")
    await cole.close()
    await trust.close()
