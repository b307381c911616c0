"""Helpers of the browser tests: contexts that behave as offline, screenshots kept as artefacts,
accessibility and phone-width checks, and signing in."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.stack import ROOT

CHROMIUM = os.environ.get("ALERTING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = ROOT / "test-artifacts" / "e2e"
VENDOR = ROOT / "alerting" / "web" / "static" / "vendor" / "leaflet" / "leaflet.js"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=15_000)


class Browsing:
    """Opens contexts whose tile requests fail (as offline) and whose script errors fail the test."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def page(self, *, viewport: dict[str, int] = DESKTOP, **options) -> Page:
        context = await self.browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(15_000)
        await context.route("https://*.openstreetmap.org/**", lambda route: route.abort())
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def screenshot(page: Page, name: str, *, viewport: dict[str, int] | None = None) -> Path:
    """A full-page screenshot kept as a test artefact (test-artifacts/e2e/)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    if viewport is not None:
        await page.set_viewport_size(viewport)
    path = ARTEFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


AXE = ROOT / "alerting" / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def assert_accessible(page: Page) -> None:
    """axe-core's WCAG 2.1 A/AA rules (labels, names, contrast, landmarks...) find nothing."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    violations = await page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
             .map(v => ({rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))""",
        WCAG_AA,
    )
    assert violations == [], violations


async def assert_fits_width(page: Page) -> None:
    """Nothing forces sideways scrolling: the page works at the viewport's width."""
    overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        culprits = await page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.offsetParent !== null && !e.closest('.table-wrap') && e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 6).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`)""")
        raise AssertionError(f"the page is {overflow}px wider than the viewport: {culprits}")


async def sign_in_admin(page: Page, stack, key: str) -> None:
    """Signs the console in with the trust's API key (the automation credential, with every right)."""
    await page.goto(f"{stack.base_url}/admin")
    await page.get_by_text("API key (for automation)").click()
    await page.get_by_label("API key", exact=True).fill(key)
    await page.get_by_label("API key", exact=True).press("Enter")
    await expect(page.get_by_role("navigation", name="Console sections")).to_be_visible()


async def sign_in_staff(page: Page, stack, email: str, password: str, *, trust_id: str | None = None) -> None:
    """Signs a person in with their email address and password."""
    await page.goto(f"{stack.base_url}/admin" + (f"?trust={trust_id}" if trust_id else ""))
    await page.get_by_label("Email address", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_role("navigation", name="Console sections")).to_be_visible()


async def until(check, timeout: float = 15.0, interval: float = 0.1):
    """Polls an async condition until it returns something truthy, failing after the timeout."""

    async def loop():
        while not (result := await check()):
            await asyncio.sleep(interval)
        return result

    return await asyncio.wait_for(loop(), timeout)
