"""The service worker's push handling in a persistent Chromium profile. Headless Chromium has no
push service to subscribe to, so the push is delivered through the DevTools protocol
(ServiceWorker.deliverPushMessage: a real, trusted `push` event); the notification it shows is read
back with getNotifications(). Nothing can click a notification headlessly, so the click is the
worker's own `notificationclick` handler run with the Accept action: it accepts over HTTP with the
token the page left, and the page sees the assignment."""

from __future__ import annotations

import asyncio
import json

import pytest
from playwright.async_api import async_playwright, expect

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, until
from tests.e2e.responder_phone import ANDROID, RECORDER, SMALL, invite_url, staff_near
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e


async def test_push_shows_accept_and_decline_and_accept_answers(stack, web_assets, tmp_path):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("pat", ["staff"])
    here = north_of(CENTRE, 120)
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
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
            await page.goto(await invite_url(trust, "pat"))
            await expect(page.locator("#duty-state")).to_have_text("On duty — you can be alerted")
            await page.wait_for_function("async () => !!(await navigator.serviceWorker.ready).active")
            worker = (
                context.service_workers[0] if context.service_workers else await context.wait_for_event("serviceworker")
            )
            await until(lambda: staff_near(trust, CENTRE, 1))

            r = await trust.cad.post(
                "/v1/incidents",
                json={
                    "cad_ref": "SW-1",
                    "lat": CENTRE[0],
                    "lon": CENTRE[1],
                    "category": "09-E-01",
                    "location_type": "public",
                    "address": "2 Park Row",
                },
            )
            assert r.status_code == 201, r.text
            incident_id = r.json()["id"]
            card = page.locator("article.alert-card")
            await expect(card).to_have_count(1)
            alert_id = await card.get_attribute("data-alert-id")

            # A real push event, carrying the alert frame as the server pushes it.
            cdp = await context.new_cdp_session(page)
            registrations: asyncio.Queue = asyncio.Queue()
            cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.put_nowait(e["registrations"]))
            await cdp.send("ServiceWorker.enable")
            registration_id = None
            while registration_id is None:
                for reg in await asyncio.wait_for(registrations.get(), 10):
                    if reg["scopeURL"].endswith("/responder") and not reg["isDeleted"]:
                        registration_id = reg["registrationId"]
            payload = {
                "type": "alert",
                "alert_id": alert_id,
                "incident_id": incident_id,
                "category": "09-E-01",
                "address": "2 Park Row",
                "distance_m": 120.4,
            }
            await cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": stack.base_url, "registrationId": registration_id, "data": json.dumps(payload)},
            )
            shown = await until(
                lambda: worker.evaluate(
                    """async () => (await self.registration.getNotifications()).map(n => ({
                         title: n.title, body: n.body, tag: n.tag, data: n.data,
                         actions: n.actions.map(a => [a.action, a.title]), requireInteraction: n.requireInteraction }))"""
                )
            )
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
            await worker.evaluate(
                "async (data) => self.responderHandlers.answer('accept', data)",
                {"url": "/responder", "alert_id": alert_id},
            )
            await expect(card.locator(".kicker")).to_have_text("You are assigned: go now")
            view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
            assert {x["id"]: x["state"] for x in view["responders"]}["pat"] == "accepted"
            assert errors == []
        finally:
            await context.close()
    await trust.close()
