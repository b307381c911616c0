"""An administrator edits the policy in the console: a bad radius is refused next to its field and
saves nothing; a good one saves a new version the policy API returns."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import expect

from tests.e2e.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot, sign_in_admin
from tests.support.clients import CENTRE, make_trust

pytestmark = pytest.mark.e2e  # a real browser against the real stack


async def test_admin_changes_phase_radius_with_validation(stack, browsing):
    trust = await make_trust(stack)
    page = await browsing.page()
    await page.goto(f"{stack.base_url}/admin")
    await page.get_by_text("API key (for automation)").click()
    key = page.get_by_label("API key", exact=True)
    await page.get_by_role("button", name="Use the API key").click()
    await expect(page.locator("#admin-key-error")).to_have_text("Enter the API key.")
    await key.fill("adm_not-a-real-key")
    await key.press("Enter")
    await expect(page.locator("#admin-key-error")).to_have_text("That key was not accepted.")

    await key.fill(trust.admin_key)
    await key.press("Enter")
    await expect(page.locator("#who-name")).to_have_text("the trust's API key")
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

    # A second phase the same as the first (groups, radius, delay) is refused beside that phase.
    second = page.get_by_role("group", name="Phase 2", exact=True)
    await second.get_by_label("Radius (m)").fill("200")
    await second.get_by_label("Delay (s)").fill("0")
    await second.get_by_role("checkbox", name="Community").uncheck()
    await radius.fill("200")
    await page.get_by_role("button", name="Save policy").click()
    twin = page.locator("#err-phase-1")
    await expect(twin).to_contain_text("same groups, radius and delay as phase 'trusted'")
    await expect(second.get_by_label("Name")).to_be_focused()
    await expect(page.locator("#policy-confirm")).to_be_hidden()
    await second.get_by_label("Radius (m)").fill("1000")
    await second.get_by_label("Delay (s)").fill("2")
    await second.get_by_role("checkbox", name="Community").check()

    # Saving first shows the change, field by field, and asks; "Keep editing" saves nothing.
    await radius.fill("300")
    await page.get_by_role("button", name="Save policy").click()
    confirm = page.get_by_role("region", name="Check the changes before saving")
    await expect(confirm.get_by_role("heading")).to_be_focused()
    await expect(confirm).to_contain_text("Saving makes version 2. Compared with version 1:")
    await expect(confirm.locator("li")).to_have_text(["phase 'trusted' radius 200 → 300 m"])
    await expect(twin).to_be_empty()
    await screenshot(page, "admin-policy-confirm", viewport=DESKTOP)
    await assert_accessible(page)
    await confirm.get_by_role("button", name="Keep editing").click()
    await expect(confirm).to_be_hidden()
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == 1
    await page.get_by_role("button", name="Save policy").click()
    await confirm.get_by_role("button", name="Save these changes").click()
    await expect(page.locator("#policy-saved")).to_contain_text("Saved as version 2")
    await expect(confirm).to_be_hidden()
    await expect(page.locator("#policy-version")).to_have_text("2")
    await expect(error).to_be_empty()
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert policy["version"] == 2
    assert [p["radius_m"] for p in policy["phases"]] == [300, 1000]
    assert policy["categories"] == ["09-E-*", "09-D-01"] and policy["accept_limit"] == 1

    # What-if replay: the draft (only "09-E-*" alerts) is compared with the saved policy over the
    # incidents already recorded: two alerting under the current policy, one under the draft.
    await trust.responder("r1", ["staff"])
    for n, category in enumerate(["09-E-01", "09-D-01"]):
        r = await trust.cad.post(
            "/v1/incidents",
            json={
                "cad_ref": f"REPLAY-{n}",
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": category,
                "location_type": "public",
            },
        )
        assert r.status_code == 201, r.text
    await page.get_by_label("Categories").fill("09-E-*")
    await page.get_by_role("button", name="Compare with the current policy").click()
    result = page.locator("#replay-result")
    await expect(result.get_by_role("heading")).to_have_text(re.compile(r"What-if over 30(\.0+)? days"))
    await expect(result).not_to_contain_text("not available")

    def measure(name: str):
        return result.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))

    await expect(result.get_by_role("columnheader")).to_have_text(
        ["Measure", "What happened", "Current policy (estimate)", "Draft (estimate)"]
    )
    await expect(measure("Incidents in the period").get_by_role("cell")).to_have_text(["2", "2", "2"])
    await expect(measure("Incidents in the categories the policy alerts for").get_by_role("cell")).to_have_text(
        ["—", "2", "1"]
    )
    # r1 has no location, so nobody was alerted, and the model (with no history) agrees.
    await expect(measure("Incidents where at least one responder was alerted").get_by_role("cell")).to_have_text(
        ["0", "0", "0"]
    )
    await expect(measure("Responders in the policy's groups").get_by_role("cell")).to_have_text(["—", "1", "1"])
    await expect(measure("Typical time to the first responder on scene (median)")).to_contain_text("—")
    await expect(measure("Alerts sent by the phase “trusted”")).to_be_visible()
    await expect(result).to_contain_text("no responder density history yet")
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == 2  # nothing saved
    await expect(page.locator("#zone-list")).to_have_text("No zones: the trust-wide phases apply everywhere.")

    await screenshot(page, "admin-policy-desktop", viewport=DESKTOP)
    await screenshot(page, "admin-policy-phone", viewport=PHONE)
    await assert_fits_width(page)

    # Saving the draft makes it the current policy: the comparison against the old one goes.
    await page.get_by_role("button", name="Save policy").click()
    await (
        page.get_by_role("region", name="Check the changes before saving")
        .get_by_role("button", name="Save these changes")
        .click()
    )
    await expect(page.locator("#policy-saved")).to_contain_text("Saved as version 3")
    await expect(result).to_be_empty()

    await page.get_by_role("link", name="Audit").click()
    changes = page.locator('#audit-rows tr[data-action="policy.update"]')
    await expect(changes.first).to_contain_text("categories alerted 09-E-*, 09-D-01 → 09-E-*")
    await expect(changes.nth(1)).to_contain_text("Changed the policy")
    await expect(changes.nth(1)).to_contain_text("phase 'trusted' radius 200 → 300 m")
    await trust.close()


NORTH = {
    "type": "Polygon",
    "coordinates": [[[-1.70, 53.85], [-1.40, 53.85], [-1.40, 53.90], [-1.70, 53.90], [-1.70, 53.85]]],
}


def zone_file(features: list[dict]) -> dict:
    return {
        "name": "zones.geojson",
        "mimeType": "application/geo+json",
        "buffer": json.dumps({"type": "FeatureCollection", "features": features}).encode(),
    }


async def test_admin_replaces_zones_from_a_file(stack, browsing):
    trust = await make_trust(stack)
    page = await browsing.page()
    await sign_in_admin(page, stack, trust.admin_key)
    await page.get_by_role("link", name="Policy").click()
    await expect(page.locator("#zone-list")).to_have_text("No zones: the trust-wide phases apply everywhere.")
    upload = page.get_by_label("Zone file")

    await upload.set_input_files(
        files=[
            zone_file(
                [
                    {
                        "type": "Feature",
                        "properties": {"name": "dot"},
                        "geometry": {"type": "Point", "coordinates": [-1.5, 53.8]},
                    }
                ]
            )
        ]
    )
    await page.get_by_role("button", name="Replace zones").click()
    await expect(page.locator("#zones-result")).to_contain_text("Nothing was imported")
    await expect(page.locator("#zones-result li")).to_contain_text("dot")
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["version"] == 1

    phases = [{"name": "all", "groups": ["staff", "community"], "radius_m": 3000, "delay_s": 0}]
    await upload.set_input_files(
        files=[
            zone_file([{"type": "Feature", "geometry": NORTH, "properties": {"name": "rural north", "phases": phases}}])
        ]
    )
    await page.get_by_role("button", name="Replace zones").click()
    await expect(page.locator("#zones-result")).to_contain_text("Zones replaced: policy version 2")
    await expect(page.locator("#zone-list")).to_have_text("rural north: all 3000 m +0 s")
    await expect(page.locator("#policy-version")).to_have_text("2")
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert [z["name"] for z in policy["zones"]] == ["rural north"]

    # Saving the phases from the editor keeps the zones it does not show.
    await page.get_by_role("group", name="Phase 1", exact=True).get_by_label("Radius (m)").fill("250")
    await page.get_by_role("button", name="Save policy").click()
    await expect(page.locator("#policy-changes li")).to_have_text(["phase 'trusted' radius 200 → 250 m"])
    await page.get_by_role("button", name="Save these changes").click()
    await expect(page.locator("#policy-saved")).to_contain_text("Saved as version 3")
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert policy["phases"][0]["radius_m"] == 250 and [z["name"] for z in policy["zones"]] == ["rural north"]
    await trust.close()


async def test_admin_sets_the_aftercare_words_and_check_in(stack, browsing):
    trust = await make_trust(stack)
    page = await browsing.page()
    await page.goto(f"{stack.base_url}/admin")
    await page.get_by_text("API key (for automation)").click()
    await page.get_by_label("API key", exact=True).fill(trust.admin_key)
    await page.get_by_role("button", name="Use the API key").click()
    await page.get_by_role("link", name="Policy").click()
    care = page.get_by_role("group", name="After the call: looking after responders")
    await expect(page.locator("#policy-version")).to_have_text("1")  # loaded: filling now is not overwritten
    await expect(care.get_by_label("Check-in after accepting (minutes)")).to_have_value("")
    await care.get_by_label("Check-in after accepting (minutes)").fill("120")
    await care.get_by_label("The trust's own questions, one a line").fill("Did you give CPR?\nAnything we should know?")
    await care.get_by_label("Email these people when a responder asks to talk (commas between)").fill("not an email")
    await care.get_by_label("Tell responders who went what became of the patient, once the CAD says").check()
    await care.get_by_label("Heart started again (ROSC)").fill("Their heart restarted. Thank you.")
    await page.get_by_role("button", name="Save policy").click()
    await expect(page.locator("#err-wellbeing_emails")).to_contain_text("is not an email address")
    await care.get_by_label("Email these people when a responder asks to talk (commas between)").fill(
        "care@trust.example"
    )
    await page.get_by_role("button", name="Save policy").click()
    confirm = page.get_by_role("region", name="Check the changes before saving")
    await expect(confirm).to_contain_text("Saving makes version 2")
    await expect(confirm).to_contain_text("aftercare check-in after set to 2 h")
    await assert_accessible(page)
    await screenshot(page, "admin-policy-aftercare", viewport=DESKTOP)
    await confirm.get_by_role("button", name="Save these changes").click()
    await expect(page.locator("#policy-saved")).to_contain_text("Saved as version 2")
    saved = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["aftercare"]
    assert saved == {
        "check_in_after_s": 7200,
        "questions": ["Did you give CPR?", "Anything we should know?"],
        "wellbeing_emails": ["care@trust.example"],
        "share_outcome": True,
        "outcome_texts": {"rosc": "Their heart restarted. Thank you."},
    }
    await page.reload()
    await page.get_by_role("link", name="Policy").click()
    await expect(page.locator("#policy-version")).to_have_text("2")
    await expect(care.get_by_label("Check-in after accepting (minutes)")).to_have_value("120")
    await expect(care.get_by_label("Died")).to_have_value("")
    await expect(care.get_by_label("Died")).to_have_attribute(
        "placeholder", "Sadly, the patient died. What you did gave them a chance."
    )
    await trust.close()
