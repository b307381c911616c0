"""The control room and alerters, on a desktop: a bystander's alarm held for confirmation comes
first on the live map, named in words, and a dispatcher's Confirm alerts the responder near it; the
Alerters page lists who may raise the alarm, adds and invites one (link and QR code), and suspends
one, whose next raise is refused, then reinstates them; the policy editor switches the trust to
alerting at once and lets anyone join, and a phone joins from the open invite."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, screenshot, sign_in_admin
from tests.e2e.responder_phone import IPHONE, TALL, phone_page
from tests.support.alerters import alerter_policy, make_alerter
from tests.support.clients import CENTRE, make_trust, north_of, online

pytestmark = pytest.mark.e2e

CONTROL_ROOM = {"width": 1366, "height": 900}


async def test_dispatcher_confirms_a_bystanders_alarm_and_suspends_an_alerter(stack, browsing):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm", radius_m=500))
    await trust.responder("ann", ["staff"])
    ann = await online(stack, trust, "ann", north_of(CENTRE, 120))
    token = await make_alerter(stack, trust, "sam", "Sam Bystander")
    async with stack.client(token) as phone:
        r = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1], "accuracy_m": 10})
    assert r.status_code == 201 and r.json()["status"] == "awaiting_confirmation", r.text
    incident_id = r.json()["incident_id"]

    page = await browsing.page(viewport=CONTROL_ROOM)
    await sign_in_admin(page, stack, trust.admin_key)

    # The alarm waits for a person: first in the list, in words, with its Confirm button.
    item = page.locator(f"li.incident-item[data-incident-id='{incident_id}']")
    await expect(item).to_contain_text("Bystander's alarm")
    await expect(item).to_contain_text("Awaiting confirmation")
    await expect(item).to_contain_text("Raised by a bystander with the alerter app")
    await expect(item).to_contain_text(re.compile(r"closed unconfirmed in (9|10):\d\d"))  # the policy's 10 minutes
    await expect(item).not_to_contain_text("alerter-")  # the provisional reference is no name
    await expect(page.locator("li.incident-item").first).to_have_attribute("data-incident-id", incident_id)
    await screenshot(page, "console-alarm-awaiting")
    await assert_accessible(page)
    assert ann.taken("alert") == []  # nobody is alerted before a dispatcher confirms

    await item.get_by_role("button", name="Confirm and alert responders").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Confirm Bystander's alarm")
    await dialog.get_by_role("button", name="Confirm and alert responders").click()
    alert = await ann.next("alert", timeout=15)
    assert alert["incident_id"] == incident_id
    await expect(page.locator("#incident-action-result")).to_contain_text("Confirmed")
    await expect(item).to_contain_text("Alerting")
    await expect(item.get_by_role("button", name="Confirm and alert responders")).to_have_count(0)
    await expect(page.locator("#incident-raised")).to_have_text("Raised by a bystander with the alerter app.")
    await page.locator("#incident-panel summary", has_text="Timeline").click()
    await expect(page.locator("#incident-timeline")).to_contain_text("Waiting for a dispatcher to confirm it")
    await expect(page.locator("#incident-timeline")).to_contain_text("confirmed the bystander's alarm: alerting starts")
    # The control room writes to the bystander and the responder alerted.
    await page.get_by_label("Message to the bystander who raised the alarm and everyone alerted or on the way").fill(
        "Ambulance on its way, keep going"
    )
    await page.get_by_role("button", name="Send message").click()
    await expect(page.locator("#incident-action-result")).to_have_text("Message sent to the bystander and 1 responder.")
    assert (await ann.next("message", timeout=15))["text"] == "Ambulance on its way, keep going"
    await expect(page.locator("#incident-messages")).to_contain_text("Ambulance on its way, keep going")
    await expect(page.locator("#incident-timeline")).to_contain_text("CAD to be told that a bystander raised the alarm")
    await screenshot(page, "console-alarm-confirmed")

    # The Alerters page: Sam, with the alert open now; suspending them refuses their next raise.
    await page.get_by_role("link", name="Alerters", exact=True).click()
    await expect(page.locator("#alerters-mode")).to_contain_text("a raise waits for a dispatcher to confirm it")
    row = page.locator("#alerter-rows tr[data-alerter-id='sam']")
    await expect(row).to_contain_text("Sam Bystander")
    await expect(row).to_contain_text("Alert open now")
    await row.get_by_role("button", name="Suspend Sam Bystander").click()
    await expect(page.locator("#alerter-message")).to_contain_text("Sam Bystander is suspended")
    await expect(row).to_contain_text("Suspended")
    async with stack.client(token) as phone:
        refused = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
    assert refused.status_code == 403, refused.text
    await screenshot(page, "console-alerter-suspended")
    await assert_accessible(page)
    await row.get_by_role("button", name="Reinstate Sam Bystander").click()
    await expect(page.locator("#alerter-message")).to_contain_text("Sam Bystander is reinstated")
    await expect(row).not_to_contain_text("Suspended")

    # Adding one shows their invite: a link to the alerter page and its QR code.
    section = page.locator("#alerters-section")
    await section.get_by_label("Id", exact=True).fill("lee")
    await section.get_by_label("Name", exact=True).fill("Lee Shopkeeper")
    await section.get_by_role("button", name="Add and invite").click()
    await expect(page.locator("#alerter-invite-for")).to_have_text("Invite for Lee Shopkeeper")
    await expect(page.locator("#alerter-invite-link")).to_contain_text("/alert#invite=")
    await expect(page.locator("#alerter-invite-qr")).to_have_attribute("src", re.compile(r"^data:image/svg"))
    await expect(page.locator("#alerter-rows tr[data-alerter-id='lee']")).to_contain_text("Active")

    # The policy editor: raises now alert responders at once, and anyone may join as an alerter.
    await page.get_by_role("link", name="Policy", exact=True).click()
    await expect(page.get_by_label("Let alerters raise the alarm for this trust")).to_be_checked()
    await expect(page.get_by_label("Wait for a dispatcher to confirm it on the live map")).to_be_checked()
    await page.get_by_label("Alert responders at once").check()
    await page.get_by_label("Also anyone who joins from the trust's open invite").check()
    await page.get_by_label("Close an alarm nobody confirmed after (minutes)").fill("15")
    await page.locator("#alerter-policy").scroll_into_view_if_needed()
    await screenshot(page, "console-policy-alerters-390", viewport={"width": 390, "height": 844})
    await page.set_viewport_size(CONTROL_ROOM)
    await page.get_by_role("button", name="Save policy").click()
    changes = page.locator("#policy-changes li")
    await expect(changes).to_have_count(3)
    await expect(changes.first).to_contain_text("wait for a dispatcher to confirm → alert responders at once")
    await expect(page.locator("#policy-changes")).to_contain_text("an alarm nobody confirmed closed after")
    await expect(page.locator("#policy-changes")).to_contain_text("15 min")
    await page.get_by_role("button", name="Save these changes").click()
    await expect(page.locator("#policy-saved")).to_contain_text("Saved as version")
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert policy["alerter"]["mode"] == "auto" and policy["alerter"]["who"] == "anyone", policy["alerter"]
    assert policy["alerter"]["radius_m"] == 500  # what the editor did not touch stays as it was
    assert policy["alerter"]["confirm_timeout_s"] == 900

    # The open invite: one link for everyone; a phone that opens it joins as a new alerter.
    await page.get_by_role("link", name="Alerters", exact=True).click()
    await expect(page.locator("#alerters-mode")).to_contain_text("anyone who joins from the open invite")
    await page.get_by_role("button", name="Make the open invite").click()
    await expect(page.locator("#alerter-invite-for")).to_have_text("Open invite: anyone may join as an alerter")
    await expect(page.locator("#alerter-invite-qr")).to_have_attribute("src", re.compile(r"^data:image/svg"))
    link = await page.locator("#alerter-invite-link").text_content()
    await screenshot(page, "console-alerters-open-invite")
    phone = await phone_page(browsing, CENTRE, viewport=TALL, user_agent=IPHONE)
    await phone.goto(link)
    await expect(phone.get_by_role("link", name="Call 999 and alert responders near you")).to_be_visible()
    await page.get_by_role("link", name="Live map", exact=True).click()
    await page.get_by_role("link", name="Alerters", exact=True).click()
    await expect(page.locator("#alerter-rows tr")).to_have_count(3)
    await expect(page.locator("#alerter-rows")).to_contain_text("(open invite)")

    # The audit: the suspended alerter's refused raise, in words, and why; on a phone too.
    await page.get_by_role("link", name="Audit", exact=True).click()
    await page.get_by_label("Who", exact=True).select_option(label="Alerters")
    await page.get_by_label("What", exact=True).select_option(label="Refused alerts from alerters")
    await page.get_by_role("button", name="Show", exact=True).click()
    entry = page.locator("#audit-rows tr[data-action='alerter.raise_refused']")
    await expect(entry).to_have_count(1)
    await expect(entry).to_contain_text("alerter Sam Bystander")
    await expect(entry).to_contain_text("Tried to raise an alert, refused")
    await expect(entry.locator("ul.changes")).to_have_text("refused because: the alerter is suspended")
    await expect(entry.locator("ul.changes")).not_to_contain_text("alerter_suspended")  # codes only in the full record
    timelines = page.locator("#incident-timelines")
    await expect(timelines).to_contain_text("Bystander's alarm")
    await expect(timelines).not_to_contain_text("alerter-")  # no provisional reference for a name
    await screenshot(page, "console-audit-refused-raise", viewport={"width": 390, "height": 844})
    await ann.close()
    await trust.close()


async def test_an_administrator_erases_an_alerter_and_their_open_alarm_stays_without_their_name(stack, browsing):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    token = await make_alerter(stack, trust, "pat", "Pat Passerby")
    await make_alerter(stack, trust, "kit", "Kit Keeper")
    async with stack.client(token) as phone:
        r = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
    assert r.status_code == 201, r.text
    incident_id = r.json()["incident_id"]

    page = await browsing.page(viewport=CONTROL_ROOM)
    await sign_in_admin(page, stack, trust.admin_key)
    await page.get_by_role("link", name="Alerters", exact=True).click()
    row = page.locator("#alerter-rows tr[data-alerter-id='pat']")
    await expect(row).to_contain_text("Alert open now")
    asked: list[str] = []

    async def answer(dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.once("dialog", answer)
    await row.get_by_role("button", name="Erase Pat Passerby").click()
    await expect(page.locator("#alerter-message")).to_have_text("Pat Passerby was erased.")
    assert asked and asked[0].startswith("Erase Pat Passerby? Their name is deleted")
    assert "signed out at once" in asked[0] and "stays with the dispatchers, without their name" in asked[0]
    await expect(row).to_have_count(0)
    await expect(page.locator("#alerter-rows tr")).to_have_count(1)
    await screenshot(page, "console-alerter-erased")
    await assert_accessible(page)
    async with stack.client(token) as phone:
        assert (await phone.get("/v1/alerts/current")).status_code == 401

    # The alarm is still there for the dispatchers; the audit says an alerter was erased, not who.
    await page.get_by_role("link", name="Live map", exact=True).click()
    item = page.locator(f"li.incident-item[data-incident-id='{incident_id}']")
    await expect(item).to_contain_text("Awaiting confirmation")
    await expect(item).not_to_contain_text("Pat")
    await page.get_by_role("link", name="Audit", exact=True).click()
    await page.get_by_role("button", name="Show", exact=True).click()
    entry = page.locator("#audit-rows tr[data-action='alerter.erase']")
    await expect(entry).to_contain_text("Erased an alerter")
    await expect(entry).to_contain_text("an erased alerter")
    await expect(page.locator("#audit-rows")).not_to_contain_text("Pat Passerby")
    await screenshot(page, "console-audit-alerter-erased")
    await trust.close()
