"""After the job, on the phone: the outcome the CAD gave reaches a responder who went, in the
trust's words, as news on the duty screen and in their past alerts."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot, sign_in_staff, until
from tests.e2e.responder_phone import IPHONE, TALL, join, phone_page, staff_near
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.staff import PASSWORD, signed_in

pytestmark = pytest.mark.e2e

WORDS = "Their heart started again before hospital. Thank you for going."
SHARING = POLICY | {"aftercare": {"share_outcome": True, "outcome_texts": {"rosc": WORDS}}}


async def test_the_outcome_reaches_the_phone_of_a_responder_who_went(stack, browsing):
    trust = await make_trust(stack, policy=SHARING)
    await trust.responder("ola", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 300), viewport=TALL, user_agent=IPHONE)
    await join(phone, trust, "ola")
    await until(lambda: staff_near(trust, CENTRE, 1))
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "AC-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]
    card = phone.locator("article.alert-card")
    await card.get_by_role("button", name="Accept").click()
    await expect(card.locator(".kicker")).to_contain_text("You are assigned")
    path = f"/v1/incidents/{incident_id}"
    assert (await trust.cad.post(f"{path}/close")).status_code == 200
    assert (await trust.cad.patch(path, json={"outcome": "rosc"})).status_code == 200

    news = phone.locator("#patient-news")
    await expect(news).to_be_visible()
    await expect(news).to_contain_text("News of a call you went to")
    await expect(news).to_contain_text(WORDS)
    await assert_fits_width(phone)
    await assert_accessible(phone)
    await screenshot(phone, "aftercare-outcome-news-390")

    await phone.get_by_role("link", name="History").click()
    item = phone.locator("#history-list li").first
    await expect(item).to_contain_text(f"What happened: {WORDS}")
    await assert_accessible(phone)
    await screenshot(phone, "aftercare-outcome-history-390")
    await phone.get_by_role("link", name="Alerts").click()
    await news.get_by_role("button", name="Thank you").click()
    await expect(news).to_be_hidden()
    await trust.close()


CHECKING = POLICY | {
    "aftercare": {"check_in_after_s": 1, "questions": ["Did you give CPR?"], "wellbeing_emails": ["care@example.org"]}
}


async def test_the_check_in_asks_on_the_phone_and_need_to_talk_reaches_the_queue(stack, browsing):
    trust = await make_trust(stack, policy=CHECKING)
    await trust.responder("kit", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 300), viewport=TALL, user_agent=IPHONE)
    await join(phone, trust, "kit")
    await until(lambda: staff_near(trust, CENTRE, 1))
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "AC-2", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201, r.text
    card = phone.locator("article.alert-card")
    await card.get_by_role("button", name="Accept").click()
    await expect(card.locator(".kicker")).to_contain_text("You are assigned")

    form = phone.locator("#check-in")
    await expect(form).to_be_visible(timeout=20_000)  # sent by the worker a second after the accept
    await expect(form).to_contain_text("How are you after the call you went to?")
    await form.get_by_role("button", name="Send").click()
    await expect(form).to_contain_text("Choose how you are feeling first.")
    await form.get_by_label("I'd like to talk to someone").check()
    await form.get_by_label("Did you give CPR?").fill("Yes, for ten minutes")
    await assert_fits_width(phone)
    await assert_accessible(phone)
    await screenshot(phone, "aftercare-check-in-390")
    await form.get_by_role("button", name="Send").click()
    await expect(form).to_contain_text("The trust's wellbeing team has been told and will contact you.")
    await screenshot(phone, "aftercare-check-in-sent-390")
    queue = (await trust.admin.get(f"/v1/trusts/{trust.id}/wellbeing")).json()
    assert [(q["responder_id"], q["answers"][0]["answer"]) for q in queue] == [("kit", "Yes, for ten minutes")]
    await form.get_by_role("button", name="Close").click()
    await expect(form).to_be_hidden()

    # The verifier reads it in the console; a dispatcher has no such page.
    verifier = await signed_in(stack, trust, roles=["verifier"], name="Val Rees")
    await verifier.close()
    console = await browsing.page(viewport={"width": 1366, "height": 768})
    await sign_in_staff(console, stack, verifier.email, PASSWORD)
    await console.get_by_role("link", name="Wellbeing").click()
    entry = console.locator("#wellbeing-list li")
    await expect(entry).to_have_count(1)
    await expect(entry).to_contain_text("Kit")
    await expect(entry).to_contain_text("after incident AC-2")
    await expect(entry.locator("dt")).to_have_text("Did you give CPR?")
    await expect(entry.locator("dd")).to_have_text("Yes, for ten minutes")
    await expect(console.locator("#wellbeing-status")).to_have_text("1 request to talk")
    await assert_accessible(console)
    await screenshot(console, "aftercare-wellbeing-console")
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dee Patch")
    await dispatcher.close()
    other = await browsing.page(viewport={"width": 1366, "height": 768})
    await sign_in_staff(other, stack, dispatcher.email, PASSWORD)
    await expect(other.get_by_role("link", name="Audit")).to_be_visible()
    await expect(other.get_by_role("link", name="Wellbeing")).to_be_hidden()
    await trust.close()
