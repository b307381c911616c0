"""Answering with care on the phone: Decline asks why and can be undone for 5 s; the profile sets
travel mode, the AED and the language (Welsh complete); offline is said honestly, and the page
opens offline from its service worker; sign-out asks first and says how to get back in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect
from sqlalchemy import update

from alerting.services.context import build_services
from alerting.store.models import ResponderInvite
from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot, until
from tests.e2e.responder_phone import (
    SMALL,
    TALL,
    allow_wake_lock,
    invite_url,
    join,
    phone_page,
    staff_near,
    wake_locks,
)
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e


async def _incident(trust, ref: str) -> str:
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201 and r.json()["alerted"] == 1, r.text
    return r.json()["id"]


async def _state(trust, incident_id: str, rid: str) -> str:
    view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
    return {x["id"]: x["state"] for x in view["responders"]}[rid]


async def test_decline_with_a_reason_and_undo_then_profile_and_sign_out(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("dee", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 300))
    await allow_wake_lock(phone, stack.base_url)
    await join(phone, trust, "dee")
    await until(lambda: staff_near(trust, CENTRE, 1))
    incident_id = await _incident(trust, "CARE-1")
    card = phone.locator("article.alert-card")
    await expect(card.get_by_role("button", name="Accept")).to_be_visible()
    # While on duty, and so while the alert is open, the page holds a screen wake lock.
    locks = await wake_locks(phone)
    assert locks and locks[-1]["type"] == "screen" and locks[-1]["held"] and not locks[-1]["released"], locks
    await expect(phone.locator("#wakelock-status")).to_have_text("The screen stays on while you are on duty.")

    # One tap on Decline asks why; a reason is one more tap, and can be undone for 5 s.
    await card.get_by_role("button", name="Decline").click()
    await expect(card).to_contain_text("Why are you declining? (optional)")
    for reason in ("Too far", "Busy", "Not safe", "Other", "No reason"):
        await expect(card.get_by_role("button", name=reason)).to_be_visible()
    await screenshot(phone, "care-decline-reasons-360")
    await assert_accessible(phone)
    await card.get_by_role("button", name="Busy").click()
    await expect(card).to_contain_text(re.compile(r"Declining in [45] s"))
    await card.get_by_role("button", name="Undo").click()
    await expect(card.get_by_role("button", name="Accept")).to_be_visible()
    assert await _state(trust, incident_id, "dee") == "alerted"  # nothing was sent

    await card.get_by_role("button", name="Decline").click()
    await card.get_by_role("button", name="Too far").click()
    await expect(card.locator(".kicker")).to_have_text("Stood down", timeout=10_000)
    await expect(card).to_contain_text("You declined this alert.")
    await until(lambda: _is(trust, incident_id, "dee", "declined"))
    await expect(card.get_by_role("button", name="Dismiss")).to_be_visible()
    history = (await stack.client(trust.tokens["dee"]).get("/v1/me/history")).json()
    assert (history[0]["state"], history[0]["decline_reason"]) == ("declined", "too_far")  # kept by the server
    await phone.get_by_role("link", name="History").click()
    await expect(phone.locator("#history-list li").first.locator(".outcome")).to_contain_text("You declined: too far")
    await phone.get_by_role("link", name="Alerts").click()

    # Off duty lets the screen sleep again.
    await phone.get_by_role("switch", name="On duty").uncheck()
    await until(lambda: _released(phone))
    await expect(phone.locator("#wakelock-status")).to_have_text("")
    await phone.get_by_role("switch", name="On duty").check()

    # The profile: travel mode, own AED, language; saved on the server.
    await phone.get_by_role("link", name="Profile").click()
    await expect(phone.get_by_text("Signed in as Dee")).to_be_visible()
    await phone.get_by_label("By bike").check()
    await phone.get_by_label("I carry my own defibrillator (AED)").check()
    await phone.get_by_label("Language").select_option("cy")
    await phone.get_by_role("button", name="Save").click()
    await expect(phone.locator("#profile-status")).to_have_text("Wedi'i gadw.")
    await expect(phone.get_by_role("link", name="Proffil")).to_be_visible()
    r = await trust.admin.get(f"/v1/trusts/{trust.id}/responders/dee")
    saved = r.json()
    assert (saved["travel_mode"], saved["carries_aed"], saved["language"].split("-")[0]) == ("bike", True, "cy"), saved
    await screenshot(phone, "care-profile-welsh-360")
    await assert_fits_width(phone)
    await assert_accessible(phone)
    await phone.get_by_label("Iaith").select_option("")
    await phone.get_by_role("button", name="Cadw").click()
    await expect(phone.locator("#profile-status")).to_have_text("Saved.")

    # Sign-out asks, explains how to come back, and can be called off.
    await phone.get_by_role("button", name="Sign out of this phone").click()
    await expect(phone.locator("#sign-out-confirm")).to_contain_text("you need a new invite link")
    await phone.get_by_role("button", name="Stay signed in").click()
    await expect(phone.get_by_role("button", name="Sign out of this phone")).to_be_focused()
    await phone.get_by_role("button", name="Sign out of this phone").click()
    await phone.get_by_role("button", name="Yes, sign out").click()
    await expect(phone.get_by_role("heading", name="Join as a volunteer responder")).to_be_visible()
    assert await phone.evaluate("localStorage.getItem('alerting.responder-token')") is None
    await assert_accessible(phone)
    await trust.close()


async def _age_invites(stack, trust_id: str, rid: str) -> None:
    services = build_services(stack.settings)
    try:
        async with services.sessions() as session, session.begin():
            await session.execute(
                update(ResponderInvite)
                .where(ResponderInvite.trust_id == trust_id, ResponderInvite.responder_id == rid)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        await services.aclose()


async def _released(phone) -> bool:
    locks = await wake_locks(phone)
    return bool(locks) and all(lock["released"] or lock["error"] for lock in locks)


async def _is(trust, incident_id, rid, state) -> bool:
    return await _state(trust, incident_id, rid) == state


async def test_an_invite_works_once_and_a_pasted_link_joins(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("eve", ["staff"])
    link = await invite_url(trust, "eve")
    first = await phone_page(browsing, north_of(CENTRE, 100))
    await first.goto(link)
    await expect(first.locator("#duty-state")).to_have_text("On duty — you can be alerted")

    second = await phone_page(browsing, north_of(CENTRE, 100), viewport=TALL)
    await second.goto(link)
    await expect(second.locator("#join-status")).to_have_text(
        "This invite link has already been used. Ask your responder team for a new one."
    )

    # a link past its time (its expiry moved into the past, as a week's wait would) says so
    stale = await invite_url(trust, "eve")
    await _age_invites(stack, trust.id, "eve")
    third = await phone_page(browsing, north_of(CENTRE, 100))
    await third.goto(stale)
    await expect(third.locator("#join-status")).to_have_text(
        "This invite link has expired. Ask your responder team for a new one."
    )
    await expect(third.get_by_label("Invite link or code")).to_be_visible()
    await assert_accessible(third)
    await second.get_by_label("Invite link or code").fill(await invite_url(trust, "eve"))
    await second.get_by_role("button", name="Join").click()
    await expect(second.locator("#duty-state")).to_have_text("On duty — you can be alerted")
    await trust.close()


async def test_offline_is_said_within_the_heartbeat_and_the_shell_opens_offline(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("fay", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 100))
    await join(phone, trust, "fay")
    await phone.wait_for_function("async () => !!(await navigator.serviceWorker.ready).active")
    await phone.reload()  # now controlled by the worker, which keeps the shell
    await expect(phone.locator("#duty-state")).to_have_text("On duty — you can be alerted")
    await phone.wait_for_function("() => !!navigator.serviceWorker.controller")

    await phone.context.set_offline(True)
    await expect(phone.locator("#duty-state")).to_have_text(
        "On duty but offline — you cannot be alerted until the connection is back", timeout=15_000
    )
    await screenshot(phone, "care-offline-360")
    await phone.reload()  # the page itself comes from the service worker
    await expect(phone.locator("#duty-state")).to_contain_text("On duty but offline")

    await phone.context.set_offline(False)
    await expect(phone.locator("#duty-state")).to_have_text("On duty — you can be alerted", timeout=40_000)

    await phone.get_by_role("switch", name="On duty").uncheck()
    await expect(phone.locator("#duty-state")).to_have_text("Off duty — you will not be alerted")
    await until(lambda: staff_near(trust, CENTRE, 0))
    await trust.close()


async def test_welsh_phone_shows_welsh(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("gwen", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 200), viewport=SMALL, locale="cy-GB")
    await join(phone, trust, "gwen", reachable="Ar ddyletswydd — gellir anfon rhybudd atoch chi")
    assert await phone.evaluate("document.documentElement.lang") == "cy"
    await expect(phone.get_by_role("link", name="Hanes")).to_be_visible()
    await until(lambda: staff_near(trust, CENTRE, 1))
    await _incident(trust, "CYM-1")
    card = phone.locator("article.alert-card")
    await expect(card.locator(".kicker")).to_have_text("Rhybudd brys")
    await expect(card.get_by_role("heading")).to_have_text(re.compile("Ataliad y galon|Cardiac"))
    await expect(card).to_contain_text("200 m i ffwrdd")
    await expect(card.get_by_role("timer")).to_have_text(re.compile(r"^Atebwch o fewn \d:\d\d$"))
    await expect(card.get_by_role("button", name="Derbyn")).to_be_in_viewport(ratio=1)
    await expect(card.get_by_role("button", name="Gwrthod")).to_be_in_viewport(ratio=1)
    await expect(card.get_by_role("link", name="Llywio at y claf")).to_be_visible()
    await screenshot(phone, "care-welsh-alert-360")
    await assert_accessible(phone)
    await card.get_by_role("button", name="Derbyn").click()
    await expect(card.locator(".kicker")).to_have_text("Chi sydd wedi'ch dewis: ewch nawr")
    await expect(card.get_by_role("button", name="Rydw i wedi cyrraedd")).to_be_visible()
    await trust.close()
