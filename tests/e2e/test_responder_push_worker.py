"""The service worker's push handling in a persistent Chromium profile. Headless Chromium has no
push service to subscribe to, so the push is delivered through the DevTools protocol
(ServiceWorker.deliverPushMessage: a real, trusted `push` event); the notification it shows is read
back with getNotifications(). Nothing can click a notification headlessly, so the click is the
worker's own `notificationclick` handler run with the action: Accept accepts over HTTP with the
token the page left, and the page sees the assignment; Decline declines and says so; a pushed
credential reminder shows in words and opens the profile; a pushed check-in opens its questions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from playwright.async_api import BrowserContext, Page, Worker, async_playwright, expect

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, until
from tests.e2e.responder_phone import ANDROID, RECORDER, SMALL, invite_url, staff_near
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    worker: Worker
    errors: list[str]
    cdp: object = None
    registration_id: str | None = None

    async def push(self, origin: str, payload: dict) -> None:
        """A real push event, carrying the frame as the server pushes it."""
        await self.cdp.send(  # type: ignore[attr-defined]
            "ServiceWorker.deliverPushMessage",
            {"origin": origin, "registrationId": self.registration_id, "data": json.dumps(payload)},
        )

    async def push_until_shown(self, origin: str, payload: dict, attempts: int = 5) -> list[dict]:
        """Delivers the push and returns the notifications it showed. On a loaded machine a first
        delivery to a worker just installed is at times never shown, so it is delivered again; the
        same tag replaces, never adds, a notification, and each test checks what was shown."""
        for _ in range(attempts):
            await self.push(origin, payload)
            try:
                return await until(self.notifications, timeout=6)
            except TimeoutError:
                continue
        raise AssertionError(f"no notification after {attempts} pushes")

    async def notifications(self) -> list[dict]:
        return await self.worker.evaluate(
            """async () => (await self.registration.getNotifications()).map(n => ({
                 title: n.title, body: n.body, tag: n.tag, data: n.data,
                 actions: n.actions.map(a => [a.action, a.title]), requireInteraction: n.requireInteraction }))"""
        )


@asynccontextmanager
async def installed_phone(stack, trust, rid: str, profile_dir) -> AsyncIterator[Phone]:
    """A phone signed in from its invite link in a persistent profile, its service worker active."""
    here = north_of(CENTRE, 120)
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=SMALL,
            user_agent=ANDROID,
            permissions=["geolocation", "notifications"],
            geolocation={"latitude": here[0], "longitude": here[1], "accuracy": 8},
        )
        try:
            await context.route("https://*.openstreetmap.org/**", lambda route: route.abort())
            page = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.add_init_script(RECORDER)
            await page.goto(await invite_url(trust, rid))
            await expect(page.locator("#duty-state")).to_have_text("On duty — you can be alerted")
            await page.wait_for_function("async () => !!(await navigator.serviceWorker.ready).active")
            worker = (
                context.service_workers[0] if context.service_workers else await context.wait_for_event("serviceworker")
            )
            phone = Phone(context, page, worker, errors)
            phone.cdp = await context.new_cdp_session(page)
            registrations: asyncio.Queue = asyncio.Queue()
            phone.cdp.on(
                "ServiceWorker.workerRegistrationUpdated", lambda e: registrations.put_nowait(e["registrations"])
            )
            await phone.cdp.send("ServiceWorker.enable")
            while phone.registration_id is None:
                for reg in await asyncio.wait_for(registrations.get(), 30):
                    if reg["scopeURL"].endswith("/responder") and not reg["isDeleted"]:
                        phone.registration_id = reg["registrationId"]
            yield phone
        finally:
            await context.close()


async def _alerted(trust, phone: Phone, ref: str) -> tuple[str, str]:
    await until(lambda: staff_near(trust, CENTRE, 1))
    r = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": ref,
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
            "address": "2 Park Row",
        },
    )
    assert r.status_code == 201, r.text
    card = phone.page.locator("article.alert-card")
    await expect(card).to_have_count(1)
    return r.json()["id"], await card.get_attribute("data-alert-id")


def _alert_payload(alert_id: str, incident_id: str) -> dict:
    return {
        "type": "alert",
        "alert_id": alert_id,
        "incident_id": incident_id,
        "category": "09-E-01",
        "address": "2 Park Row",
        "distance_m": 120.4,
    }


async def test_push_shows_accept_and_decline_and_accept_answers(stack, web_assets, tmp_path):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("pat", ["staff"])
    async with installed_phone(stack, trust, "pat", tmp_path / "profile") as phone:
        incident_id, alert_id = await _alerted(trust, phone, "SW-1")
        shown = await phone.push_until_shown(stack.base_url, _alert_payload(alert_id, incident_id))
        assert shown == [
            {
                "title": "Emergency alert",
                "body": "09-E-01 · 2 Park Row · 120 m away",
                "tag": alert_id,
                "data": {"url": "/responder", "alert_id": alert_id},
                "actions": [["accept", "Accept"], ["decline", "Decline"]],
                "requireInteraction": True,
            }
        ], shown

        # The click with the Accept action: accepted over HTTP with the stored token.
        await phone.worker.evaluate(
            "async (data) => self.responderHandlers.answer('accept', data)",
            {"url": "/responder", "alert_id": alert_id},
        )
        card = phone.page.locator("article.alert-card")
        await expect(card.locator(".kicker")).to_have_text("You are assigned: go now")
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        assert {x["id"]: x["state"] for x in view["responders"]}["pat"] == "accepted"
        assert phone.errors == []
    await trust.close()


async def test_the_notifications_decline_action_declines_and_says_so(stack, web_assets, tmp_path):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("quinn", ["staff"])
    async with installed_phone(stack, trust, "quinn", tmp_path / "profile") as phone:
        incident_id, alert_id = await _alerted(trust, phone, "SW-2")
        await phone.push_until_shown(stack.base_url, _alert_payload(alert_id, incident_id))

        # The click with the Decline action: declined over HTTP, and the notification says so.
        await phone.worker.evaluate(
            "async (data) => self.responderHandlers.answer('decline', data)",
            {"url": "/responder", "alert_id": alert_id},
        )
        view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
        assert {x["id"]: x["state"] for x in view["responders"]}["quinn"] == "declined"
        shown = await phone.notifications()
        assert [(n["title"], n["tag"], n["actions"]) for n in shown] == [("Declined", alert_id, [])], shown
        history = (await stack.client(trust.tokens["quinn"]).get("/v1/me/history")).json()
        assert (history[0]["state"], history[0]["decline_reason"]) == ("declined", None)  # one tap: no reason
        card = phone.page.locator("article.alert-card")
        await expect(card.locator(".kicker")).to_have_text("Stood down")  # the open page hears it too
        assert phone.errors == []
    await trust.close()


async def test_a_pushed_credential_reminder_is_shown_in_words_and_opens_the_profile(stack, web_assets, tmp_path):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("rae", ["staff"])
    async with installed_phone(stack, trust, "rae", tmp_path / "profile") as phone:
        text = "Your cpr certificate expires in 9 days. Upload the renewed one in the app to keep being alerted."
        shown = await phone.push_until_shown(
            stack.base_url,
            {
                "type": "reminder",
                "reason": "credential_expiring",
                "credential_id": "c1",
                "kind": "cpr",
                "expires_on": "2030-01-01",
                "days_left": 9,
                "text": text,
            },
        )
        assert [(n["title"], n["body"], n["tag"], n["data"]) for n in shown] == [
            ("Credential expiring", text, "reminder-c1", {"url": "/responder#profile"})
        ], shown
        await phone.worker.evaluate(
            "async (data) => self.responderHandlers.answer('', data)", {"url": "/responder#profile"}
        )
        await expect(phone.page.get_by_role("heading", name="Your profile")).to_be_visible()
        assert phone.errors == []
    await trust.close()


async def test_a_pushed_check_in_is_shown_in_words_and_opens_its_questions(stack, web_assets, tmp_path):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("cal", ["staff"])
    async with installed_phone(stack, trust, "cal", tmp_path / "profile") as phone:
        frame = {
            "type": "check_in",
            "alert_id": "a1",
            "incident_id": "i1",
            "text": "How are you after the call you went to?",
            "feelings": ["fine", "shaken", "need_to_talk"],
            "questions": ["Did you give CPR?"],
        }
        shown = await phone.push_until_shown(stack.base_url, frame)
        assert [(n["title"], n["body"], n["tag"]) for n in shown] == [
            ("How are you?", "How are you after the call you went to?", "check-in-a1")
        ], shown
        url = shown[0]["data"]["url"]
        assert url.startswith("/responder#check-in=")
        await phone.worker.evaluate("async (data) => self.responderHandlers.answer('', data)", {"url": url})
        form = phone.page.locator("#check-in")
        await expect(form).to_be_visible()
        await expect(form.get_by_label("Did you give CPR?")).to_be_visible()
        await expect(form.get_by_label("I'd like to talk to someone")).to_be_visible()
        assert phone.errors == []
    await trust.close()
