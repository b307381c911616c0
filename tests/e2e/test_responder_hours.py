"""On-duty hours on a small phone: the responder says when they may be alerted; outside those hours
the state line says so and when alerting starts again, and the server passes them over (timeline
`off_schedule`); inside them they are alerted as usual. Welsh too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot, until
from tests.e2e.responder_phone import SMALL, join, phone_page, staff_near
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e
ZONE = "Europe/London"


def hhmm(hours_from_now: float) -> str:
    return (datetime.now(ZoneInfo(ZONE)) + timedelta(hours=hours_from_now)).strftime("%H:%M")


async def set_hours(phone: Page, start: str, end: str, *, words: dict[str, str]) -> None:
    """Every day, from `start` to `end`, saved with the profile."""
    await phone.get_by_role("link", name=words["profile"]).click()
    await phone.get_by_label(words["set"]).check()
    window = phone.get_by_role("group", name=words["window"])
    for box in await window.get_by_role("checkbox").all():
        await box.check()
    await window.get_by_label(words["from"], exact=True).fill(start)
    await window.get_by_label(words["to"], exact=True).fill(end)
    await phone.get_by_role("button", name=words["save"]).click()
    await expect(phone.locator("#profile-status")).to_have_text(words["saved"])


async def post(trust, ref: str) -> dict:
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201, r.text
    return r.json()


ENGLISH = {
    "profile": "Profile",
    "alerts": "Alerts",
    "set": "Only during the hours I set",
    "always": "Whenever I am on duty",
    "window": "Hours 1",
    "from": "From",
    "to": "To",
    "save": "Save",
    "saved": "Saved.",
}


async def test_a_responder_sets_their_hours_and_is_alerted_only_inside_them(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("hana", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 150), viewport=SMALL, timezone_id=ZONE)
    await join(phone, trust, "hana")
    await until(lambda: staff_near(trust, CENTRE, 1))

    # a window with no day is refused beside the hours, and nothing is saved
    await phone.get_by_role("link", name="Profile").click()
    await phone.get_by_label("Only during the hours I set").check()
    window = phone.get_by_role("group", name="Hours 1")
    for box in await window.get_by_role("checkbox").all():
        await box.uncheck()
    await phone.get_by_role("button", name="Save").click()
    await expect(phone.locator("#hours-error")).to_have_text("Hours 1: choose at least one day and both times.")
    me = (await stack.client(trust.tokens["hana"]).get("/v1/me")).json()
    assert me["on_duty_hours"] is None

    start, end = hhmm(2), hhmm(3)
    await set_hours(phone, start, end, words=ENGLISH)
    saved = (await stack.client(trust.tokens["hana"]).get("/v1/me")).json()["on_duty_hours"]
    assert saved["tz"] == ZONE and saved["windows"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": start, "end": end}
    ]
    await assert_fits_width(phone)
    await assert_accessible(phone)
    await screenshot(phone, "hours-profile-360")

    await phone.get_by_role("link", name="Alerts").click()
    state = phone.locator("#duty-state")
    await expect(state).to_contain_text("On duty, outside your hours — you will be alerted from ")
    await expect(state).to_contain_text(start)
    await screenshot(phone, "hours-outside-360")
    outside = await post(trust, "HRS-1")
    assert outside["alerted"] == 0
    view = (await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{outside['id']}")).json()
    assert [(t["responder"], t["reason"]) for t in view["timeline"] if t["event"] == "responder_skipped"] == [
        ("hana", "off_schedule")
    ]
    await expect(phone.locator("article.alert-card")).to_have_count(0)

    # hours that hold now: alerted as usual
    await set_hours(phone, hhmm(-1), hhmm(1), words=ENGLISH)
    await phone.get_by_role("link", name="Alerts").click()
    await expect(state).to_have_text("On duty — you can be alerted")
    inside = await post(trust, "HRS-2")
    assert inside["alerted"] == 1
    await expect(phone.locator("article.alert-card").get_by_role("button", name="Accept")).to_be_visible()

    # back to "whenever on duty"
    await phone.get_by_role("link", name="Profile").click()
    await phone.get_by_label("Whenever I am on duty").check()
    await phone.get_by_role("button", name="Save").click()
    await expect(phone.locator("#profile-status")).to_have_text("Saved.")
    assert (await stack.client(trust.tokens["hana"]).get("/v1/me")).json()["on_duty_hours"] is None
    await trust.close()


async def test_welsh_hours_read_in_welsh(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("sian", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 150), viewport=SMALL, locale="cy-GB", timezone_id=ZONE)
    await join(phone, trust, "sian", reachable="Ar ddyletswydd — gellir anfon rhybudd atoch chi")
    welsh = {
        "profile": "Proffil",
        "set": "Dim ond yn ystod yr oriau rydw i'n eu gosod",
        "window": "Oriau 1",
        "from": "O",
        "to": "Tan",
        "save": "Cadw",
        "saved": "Wedi'i gadw.",
    }
    await set_hours(phone, hhmm(2), hhmm(3), words=welsh)
    await expect(phone.get_by_role("group", name="Oriau 1").get_by_label("Sad")).to_be_checked()
    await screenshot(phone, "hours-profile-welsh-360")
    await assert_accessible(phone)
    await phone.get_by_role("link", name="Rhybuddion").click()
    await expect(phone.locator("#duty-state")).to_contain_text(
        "Ar ddyletswydd, y tu allan i'ch oriau — byddwch yn cael rhybuddion o "
    )
    await trust.close()
