"""Helpers of the responder phone tests: a page signed in from an invite link, whose sounds,
vibrations and screen wake locks are recorded (an init script wraps Web Audio's oscillators,
navigator.vibrate and navigator.wakeLock.request, each still doing what it does)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.browser import Browsing

SMALL = {"width": 360, "height": 640}
TALL = {"width": 390, "height": 844}
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)

RECORDER = """
window.__sounds = [];
window.__vibrations = [];
const realStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__sounds.push({ hz: this.frequency.value, at: Date.now() });
  return realStart.apply(this, args);
};
window.__wakeLocks = [];
if (window.WakeLock) {
  const realRequest = WakeLock.prototype.request;
  WakeLock.prototype.request = async function (type) {
    const entry = { type, at: Date.now(), held: false, released: false, error: null };
    window.__wakeLocks.push(entry);
    try {
      const sentinel = await realRequest.call(this, type);
      entry.held = true;
      sentinel.addEventListener('release', () => { entry.released = true; });
      return sentinel;
    } catch (err) {
      entry.error = err.name;
      throw err;
    }
  };
}
Object.defineProperty(Navigator.prototype, 'vibrate', {
  configurable: true,
  value: function (pattern) { window.__vibrations.push({ pattern, at: Date.now() }); return true; },
});
"""


async def invite_url(trust, rid: str) -> str:
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/responders/{rid}/invites")
    assert r.status_code == 201, r.text
    return r.json()["invite_url"]


async def phone_page(
    browsing: Browsing, at: tuple[float, float], *, viewport=SMALL, user_agent=ANDROID, **options
) -> Page:
    page = await browsing.page(
        viewport=viewport,
        user_agent=user_agent,
        is_mobile=True,
        has_touch=True,
        permissions=["geolocation"],
        geolocation={"latitude": at[0], "longitude": at[1], "accuracy": 8},
        **options,
    )
    await page.add_init_script(RECORDER)
    return page


async def join(page: Page, trust, rid: str, *, reachable: str = "On duty — you can be alerted") -> None:
    """Opens the invite link: the page redeems it and is on duty, with no token typed."""
    await page.goto(await invite_url(trust, rid))
    await expect(page.locator("#duty-state")).to_have_text(reachable)


async def sounds(page: Page, since: int = 0, hz: float | None = None) -> list[dict]:
    return await page.evaluate(
        "([since, hz]) => window.__sounds.filter(s => s.at >= since && (hz === null || s.hz === hz))", [since, hz]
    )


async def allow_wake_lock(page: Page, origin: str) -> None:
    """Grants the screen wake lock as a phone's browser does for a visible page: headless Chromium
    refuses it otherwise, and Playwright's permission names do not include it. A grant replaces the
    origin's earlier ones, so geolocation is granted again with it."""
    cdp = await page.context.new_cdp_session(page)
    context_id = (await cdp.send("Target.getTargetInfo"))["targetInfo"]["browserContextId"]
    await cdp.send(
        "Browser.grantPermissions",
        {"permissions": ["geolocation", "wakeLockScreen"], "origin": origin, "browserContextId": context_id},
    )


async def wake_locks(page: Page) -> list[dict]:
    """The page's screen wake lock requests: `{type, held, released, error}` each."""
    return await page.evaluate("() => window.__wakeLocks")


async def now_ms(page: Page) -> int:
    return await page.evaluate("Date.now()")


async def staff_near(trust, centre: tuple[float, float], expected: int, radius_m: int = 1000) -> bool:
    r = await trust.cad.get("/v1/nearby", params={"lat": centre[0], "lon": centre[1], "radius_m": radius_m})
    return r.json()["by_group"].get("staff", 0) == expected
