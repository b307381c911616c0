"""A bystander raises the alarm on a phone at 390×844: the invite link signs the alerter page in,
the one big button opens the dialler on the trust's emergency number (the `tel:` navigation is
seen leaving the page) and, in the same tap, sends the location; the responder's phone is alerted,
the responder accepts and comes, and the alerter reads "1 responder on the way, 140 m", the
nearest defibrillator, CPR with a beat they can start, and the responder's message; back in the app
after the call the view is restored; when the ambulance service closes the call the alerter is
stood down."""

from __future__ import annotations

import itertools
import re
import statistics

import pytest
from playwright.async_api import Page, expect

from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot, sign_in_admin, until
from tests.e2e.responder_phone import (
    IPHONE,
    RECORDER,
    TALL,
    allow_wake_lock,
    join,
    now_ms,
    phone_page,
    sounds,
    staff_near,
    wake_locks,
)
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e

POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 300,
    "categories": ["09-*"],
    "alerter": {"enabled": True, "mode": "auto", "radius_m": 1000, "groups": ["staff"], "accept_limit": 1},
}


async def alerter_invite(trust, alerter_id: str, name: str) -> str:
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/alerters", json={"id": alerter_id, "name": name})
    assert r.status_code == 201, r.text
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/{alerter_id}/invites")
    assert r.status_code == 201, r.text
    return r.json()["invite_url"]


async def alerter_phone(browsing, stack, url: str) -> Page:
    """The alerter's phone, where the patient is, signed in from the invite link: the big button shows."""
    page = await phone_page(browsing, CENTRE, viewport=TALL, user_agent=IPHONE)
    await page.goto(url)
    await expect(page.get_by_role("link", name="Call 999 and alert responders near you")).to_be_visible()
    assert "#invite=" not in page.url
    await expect(page.locator("#location-line")).to_have_text("Your location is ready to send.")
    return page


async def test_alerter_raises_sees_help_coming_and_is_stood_down(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("ann", ["staff"])
    assert (await trust.aed("lib-1", "City Library", north_of(CENTRE, 60))).status_code == 200
    responder = await phone_page(browsing, north_of(CENTRE, 400), viewport=TALL, user_agent=IPHONE)
    await join(responder, trust, "ann")
    await until(lambda: staff_near(trust, CENTRE, 1))

    alerter = await alerter_phone(browsing, stack, await alerter_invite(trust, "sam", "Sam"))
    token = await alerter.evaluate("localStorage.getItem('alerting.alerter-token')")
    assert token and len(token) > 20
    button = alerter.get_by_role("link", name="Call 999 and alert responders near you")
    await expect(button).to_be_in_viewport(ratio=1)
    box = await button.bounding_box()
    assert box and box["height"] >= 300 and box["width"] >= 340, box  # a button a shaking thumb cannot miss
    await assert_accessible(alerter)
    await assert_fits_width(alerter)
    await screenshot(alerter, "alerter-ready-390")

    # One tap: the dialler opens on 999 (Chromium hands the tel: URL on as a navigation request)
    # and the raise goes to the server at the same moment.
    async with (
        alerter.expect_request(lambda r: r.url.startswith("tel:")) as dialled,
        alerter.expect_response(lambda r: r.url.endswith("/v1/alerts/raise")) as raised,
    ):
        await button.click()
    assert (await dialled.value).url == "tel:999"
    answer = await raised.value
    assert answer.status == 201, await answer.text()
    incident_id = (await answer.json())["incident_id"]
    await expect(alerter.locator("#help-title")).to_have_text("Alerting responders")
    await expect(alerter.locator("#help-line")).to_have_text("Asking responders near you to come…")
    await screenshot(alerter, "alerter-alerting-390")

    # The responder's phone is woken, and the responder accepts and comes closer.
    card = responder.locator("article.alert-card")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("400 m away")
    await expect(card.locator(".badge.private")).to_have_text("May be a private home")  # not known to be one
    await card.get_by_role("button", name="Accept").click()
    await expect(card.locator(".kicker")).to_have_text("You are assigned: go now")
    await responder.context.set_geolocation(
        {"latitude": north_of(CENTRE, 140)[0], "longitude": CENTRE[1], "accuracy": 8}
    )

    # The alerter sees help coming: how many, how far; never who.
    await expect(alerter.locator("#help-title")).to_have_text("Help is on the way")
    await expect(alerter.locator("#help-line")).to_have_text("1 responder on the way, 140 m")
    await expect(alerter.locator("#aed-line")).to_have_text("City Library, 60 m from you")
    await expect(alerter.locator("#help")).not_to_contain_text("Ann")
    await screenshot(alerter, "alerter-help-coming-390")
    await assert_accessible(alerter)
    await assert_fits_width(alerter)

    # Back in the app after the call (a new page of the same phone): the view comes back as it was.
    # The first page keeps showing help; Chromium stops its input once it has handed on the tel: link.
    again = await alerter.context.new_page()
    await again.add_init_script(RECORDER)
    await allow_wake_lock(again, stack.base_url)
    await again.goto(f"{stack.base_url}/alert")
    await expect(again.locator("#help-line")).to_have_text("1 responder on the way, 140 m")
    # The screen stays on while help comes: CPR goes on for minutes.
    await until(lambda: _held(again))

    # CPR: a beat at 110 a minute, seen and heard, started and stopped.
    start = await now_ms(again)
    await again.get_by_role("button", name="Start the beat").click()
    await until(lambda: _clicks(again, start, 4))
    clicks = await sounds(again, start, 1000)
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(clicks)]
    assert 450 < statistics.median(gaps) < 900, gaps  # 60000 / 110 ≈ 545 ms; a busy machine only adds
    await expect(again.locator("#beat")).to_have_class(re.compile(r"\brunning\b"))
    await again.get_by_role("button", name="Stop the beat").click()
    await expect(again.get_by_role("button", name="Start the beat")).to_be_visible()

    # Messages: the alerter writes, the responder reads it as from the person who raised the alarm.
    await again.get_by_label("Write to the responders").fill("He is not breathing, I am pushing on his chest")
    await again.get_by_role("button", name="Send").click()
    await expect(again.locator("#messages")).to_contain_text("You")
    await expect(again.locator("#messages")).to_contain_text("He is not breathing, I am pushing on his chest")
    await expect(card).to_contain_text("The person who raised the alarm")
    await expect(card).to_contain_text("He is not breathing, I am pushing on his chest")
    reply = card.get_by_label("Write to the control room and the person who raised the alarm")
    await reply.fill("Two minutes away, keep pushing")
    await reply.press("Enter")
    await expect(again.locator("#messages li.from-responder")).to_contain_text("Responder")
    await expect(again.locator("#messages li.from-responder")).to_contain_text("Two minutes away, keep pushing")
    await expect(again.locator("#messages")).not_to_contain_text("Ann")
    await screenshot(again, "alerter-help-messages-390")

    # The ambulance service closes the call: the alerter is stood down, in words.
    r = await trust.cad.post(f"/v1/incidents/{incident_id}/close", json={})
    assert r.status_code == 200, r.text
    await expect(again.get_by_role("heading", name="The call is closed")).to_be_visible()
    await expect(again.locator("#ended-text")).to_contain_text("Responders are no longer needed")
    await until(lambda: _released(again))  # the screen may sleep again
    await screenshot(again, "alerter-stood-down-390")
    await assert_accessible(again)
    await again.get_by_role("button", name="Done").click()
    await expect(again.get_by_role("link", name="Call 999 and alert responders near you")).to_be_visible()
    await trust.close()


async def test_alerter_outside_the_area_is_told_to_call_the_trusts_number(stack, browsing):
    """A raise the trust refuses still leaves the phone calling, on the trust's own number (known
    before the tap): the page says why, in words."""
    trust = await make_trust(stack, policy={**POLICY, "alerter": {**POLICY["alerter"], "emergency_number": "112"}})
    page = await phone_page(browsing, (51.5, -0.12), viewport=TALL, user_agent=IPHONE)  # London: not Leeds
    await page.goto(await alerter_invite(trust, "pat", "Pat"))
    await expect(page.locator("#location-line")).to_have_text("Your location is ready to send.")
    button = page.get_by_role("link", name="Call 112 and alert responders near you")
    await expect(button).to_have_attribute("href", "tel:112")
    async with page.expect_request(lambda r: r.url.startswith("tel:")) as dialled:
        await button.click()
    assert (await dialled.value).url == "tel:112"
    await expect(page.locator("#help-title")).to_have_text("Responders were not alerted")
    await expect(page.locator("#help-problem")).to_have_text(
        "You are outside the area this service covers, so no responder was alerted. Call 112 now if you have not."
    )
    await expect(page.get_by_role("link", name="Call 112", exact=True)).to_be_visible()
    await screenshot(page, "alerter-outside-390")
    await assert_accessible(page)
    await trust.close()


async def test_a_cancelled_alert_stands_the_alerter_down_and_a_suspended_alerter_is_told_to_call(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    page = await alerter_phone(browsing, stack, await alerter_invite(trust, "jo", "Jo"))
    async with page.expect_response(lambda r: r.url.endswith("/v1/alerts/raise")) as raised:
        await page.get_by_role("link", name="Call 999 and alert responders near you").click()
    incident_id = (await (await raised.value).json())["incident_id"]
    assert (await trust.cad.post(f"/v1/incidents/{incident_id}/cancel")).status_code == 200
    await expect(page.get_by_role("heading", name="The alert was cancelled")).to_be_visible()
    await expect(page.locator("#ended-text")).to_have_text(
        "The ambulance service cancelled this alert: responders are no longer coming. "
        "If the person still needs help, call 999."
    )
    await expect(page.locator("#ended-call")).to_have_attribute("href", "tel:999")
    await screenshot(page, "alerter-cancelled-390")
    await assert_accessible(page)

    # A dispatcher suspends Jo: the next press still dials, and the page says why nobody comes.
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/alerters/jo", json={"suspended": True})
    assert r.status_code == 200, r.text
    later = await page.context.new_page()  # the phone, later: the page opens on the button again
    await later.goto(f"{stack.base_url}/alert")
    button = later.get_by_role("link", name="Call 999 and alert responders near you")
    async with later.expect_request(lambda r: r.url.startswith("tel:")) as dialled:
        await button.click()
    assert (await dialled.value).url == "tel:999"
    await expect(later.locator("#help-problem")).to_have_text(
        "Your account cannot alert responders: it has been suspended. Call 999 now if you have not."
    )
    await expect(later.locator("#help-retry")).to_be_hidden()  # trying again would not help
    await screenshot(later, "alerter-suspended-390")
    await trust.close()


async def test_offline_the_page_opens_and_still_dials_then_alerts_once_back_online(stack, browsing):
    """With no signal the page comes from its service worker and the button still dials; the alert
    goes as soon as the phone is back online, with nothing to press again."""
    trust = await make_trust(stack, policy=POLICY)
    page = await alerter_phone(browsing, stack, await alerter_invite(trust, "kim", "Kim"))
    await page.wait_for_function("async () => !!(await navigator.serviceWorker.ready).active")
    await page.reload()  # now controlled by the worker, which keeps the shell
    await page.wait_for_function("() => !!navigator.serviceWorker.controller")

    await page.context.set_offline(True)
    await page.reload()  # the page itself comes from the service worker
    await expect(page.locator("#offline")).to_be_visible()
    button = page.get_by_role("link", name="Call 999 and alert responders near you")
    await expect(button).to_have_attribute("href", "tel:999")
    async with page.expect_request(lambda r: r.url.startswith("tel:")) as dialled:
        await button.click()
    assert (await dialled.value).url == "tel:999"
    await expect(page.locator("#help-problem")).to_contain_text("No internet connection: responders were not alerted.")
    await screenshot(page, "alerter-offline-390")

    async with page.expect_response(lambda r: r.url.endswith("/v1/alerts/raise")) as raised:
        await page.context.set_offline(False)
    assert (await raised.value).status == 201
    await expect(page.locator("#help-problem")).to_be_hidden()
    # This trust has no responder near: the page says so, and what to do.
    await expect(page.locator("#help-title")).to_have_text("No responder is coming")
    await expect(page.locator("#help-line")).to_have_text(
        "No responder nearby could come. Keep doing CPR: the ambulance is coming."
    )
    await trust.close()


async def _held(page: Page) -> bool:
    return any(lock["held"] and not lock["released"] for lock in await wake_locks(page))


async def _released(page: Page) -> bool:
    return not await _held(page)


async def _clicks(page: Page, since: int, at_least: int) -> bool:
    return len(await sounds(page, since, 1000)) >= at_least


async def test_a_suspended_alerter_following_their_alert_is_told_and_the_button_still_calls(stack, browsing):
    """Their socket is closed as they are suspended: the page says so in words, keeps the phone
    signed in (reinstated, the same token works) and the button still dials."""
    trust = await make_trust(stack, policy={**POLICY, "alerter": {**POLICY["alerter"], "mode": "confirm"}})
    page = await alerter_phone(browsing, stack, await alerter_invite(trust, "liz", "Liz"))
    async with page.expect_response(lambda r: r.url.endswith("/v1/alerts/raise")) as raised:
        await page.get_by_role("link", name="Call 999 and alert responders near you").click()
    assert (await raised.value).status == 201
    await expect(page.locator("#help-title")).to_have_text("Your alert is being checked")
    await expect(page.locator("#help")).to_have_attribute("data-live", "on")

    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/alerters/liz", json={"suspended": True})
    assert r.status_code == 200, r.text
    await expect(page.locator("#welcome")).to_have_text(
        "Your ambulance service has suspended your account, so this phone cannot alert responders now. "
        "In an emergency, call 999."
    )
    await expect(page.locator("#help")).to_be_hidden()
    await expect(page.get_by_role("link", name="Call 999 and alert responders near you")).to_have_attribute(
        "href", "tel:999"
    )
    assert await page.evaluate("localStorage.getItem('alerting.alerter-token')")  # still signed in
    await screenshot(page, "alerter-suspended-live-390")
    await assert_accessible(page)
    await assert_fits_width(page)

    again = await page.context.new_page()  # opened again later: it still says why
    await again.goto(f"{stack.base_url}/alert")
    await expect(again.locator("#welcome")).to_contain_text("suspended your account")
    await trust.close()


async def test_an_alarm_nobody_confirms_in_time_tells_the_alerter_to_call_and_leaves_the_held_list(stack, browsing):
    """The raise is made with the API's clock set back past the policy's ten minutes, so the
    worker's sweep closes it at once: the page says nobody was sent and to call; the console's
    live map no longer offers to confirm it and says why it ended."""
    trust = await make_trust(stack, policy={**POLICY, "alerter": {**POLICY["alerter"], "mode": "confirm"}})
    console = await browsing.page(viewport=TALL)
    await sign_in_admin(console, stack, trust.admin_key)
    page = await alerter_phone(browsing, stack, await alerter_invite(trust, "meg", "Meg"))
    services = stack.server.config.app.state.services
    real = services.clock
    services.clock = lambda: real() - 660
    try:
        async with page.expect_response(lambda r: r.url.endswith("/v1/alerts/raise")) as raised:
            await page.get_by_role("link", name="Call 999 and alert responders near you").click()
        assert (await raised.value).status == 201
    finally:
        services.clock = real
    incident_id = (await (await raised.value).json())["incident_id"]
    await expect(page.get_by_role("heading", name="Your alert was not confirmed")).to_be_visible(timeout=30_000)
    await expect(page.locator("#ended-text")).to_have_text(
        "The control room did not confirm your alert in time, so no responder was sent. "
        "If the person still needs help, call 999 now."
    )
    await expect(page.locator("#ended-call")).to_have_attribute("href", "tel:999")
    await screenshot(page, "alerter-not-confirmed-390")
    await assert_accessible(page)
    await assert_fits_width(page)

    item = console.locator(f"li.incident-item[data-incident-id='{incident_id}']")
    await expect(item).to_contain_text("nobody confirmed the alarm within 10 minutes", timeout=30_000)
    await expect(item).to_contain_text("Closed")
    await expect(item.get_by_role("button", name="Confirm and alert responders")).to_have_count(0)
    await screenshot(console, "console-alarm-not-confirmed-390")
    await trust.close()
