"""An administrator edits the policy in the console: a bad radius is refused next to its field and
saves nothing; a good one saves a new version the policy API returns."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot
from tests.support.clients import make_trust

pytestmark = pytest.mark.e2e  # a real browser against the real stack


async def test_admin_changes_phase_radius_with_validation(stack, browsing):
    trust = await make_trust(stack)
    page = await browsing.page()
    await page.goto(f"{stack.base_url}/admin")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#admin-key-error")).to_have_text("Enter the trust admin key.")
    await page.get_by_label("Trust admin key").fill("adm_not-a-real-key")
    await page.get_by_label("Trust admin key").press("Enter")
    await expect(page.locator("#admin-key-error")).to_have_text("That key was not accepted.")

    await page.get_by_label("Trust admin key").fill(trust.admin_key)
    await page.get_by_label("Trust admin key").press("Enter")
    await page.get_by_role("link", name="Policy").click()
    first = page.get_by_role("group", name="Phase 1", exact=True)
    radius = first.get_by_label("Radius (m)")
    await expect(radius).to_have_value("200")
    await expect(page.locator("#policy-version")).to_have_text("1")

    await radius.fill("5")
    await page.get_by_role("button", name="Save policy").click()
    error = page.locator("#err-phase-0-radius_m")
    await expect(error).to_contain_text("must be between 10 and 20000 m")
    await expect(radius).to_have_attribute("aria-invalid", "true")
    await expect(radius).to_be_focused()
    await expect(page.locator("#policy-errors")).to_contain_text("The policy was not saved")
    await assert_accessible(page)
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert policy["version"] == 1 and policy["phases"][0]["radius_m"] == 200

    await radius.fill("300")
    await page.get_by_role("button", name="Save policy").click()
    await expect(page.locator("#policy-saved")).to_contain_text("Saved as version 2")
    await expect(page.locator("#policy-version")).to_have_text("2")
    await expect(error).to_be_empty()
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert policy["version"] == 2
    assert [p["radius_m"] for p in policy["phases"]] == [300, 1000]
    assert policy["categories"] == ["09-E-*", "09-D-01"] and policy["accept_limit"] == 1

    # What-if replay and zone files answer whether or not this deployment serves those endpoints.
    await page.get_by_role("button", name="Compare with the current policy").click()
    await expect(page.locator("#replay-result")).to_have_text(re.compile(r"What-if over|not available"))
    await expect(page.locator("#zone-list")).to_have_text("No zones: the trust-wide phases apply everywhere.")

    await screenshot(page, "admin-policy-desktop", viewport=DESKTOP)
    await screenshot(page, "admin-policy-phone", viewport=PHONE)
    await assert_fits_width(page)

    await page.get_by_role("link", name="Audit").click()
    change = page.locator('#audit-rows tr[data-action="policy.update"]').first
    await expect(change).to_contain_text("trusted 200 m +0 s, community 1000 m +2 s → trusted 300 m +0 s")
    await trust.close()
