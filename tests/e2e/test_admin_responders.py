"""Managing responders in the console: CSV import with progress and a per-row report, search,
suspend, a token shown once, and erasure, each checked through the API."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.browser import PHONE, assert_accessible, assert_fits_width, screenshot, sign_in_admin
from tests.support.clients import make_trust

pytestmark = pytest.mark.e2e  # a real browser against the real stack

CSV = (
    b"id,name,groups,skills\n"
    b"bob,Bob Smith,staff,bls\n"
    b"bad id,Bad Row,staff,\n"
    b"cara,Cara Jones,Staff;Community,\n"  # groups by name, as a spreadsheet kept by people has them
    b"dan,Dan Brown,nosuchgroup,\n"
)


async def test_csv_import_and_responder_actions(stack, browsing):
    trust = await make_trust(stack)
    page = await browsing.page()
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in_admin(page, stack, trust.admin_key)
    await page.get_by_role("link", name="Responders").click()
    await expect(page.locator("#responder-rows")).to_contain_text("No responders yet.")

    await page.get_by_label("CSV file").set_input_files(
        files=[{"name": "volunteers.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    await page.get_by_role("button", name="Import", exact=True).click()
    progress = page.get_by_label("Import progress")
    await expect(page.locator("#import-summary")).to_have_text(
        "Import finished: 2 added, 2 not imported (see the report below)."
    )
    await expect(progress).to_have_attribute("max", "4")
    assert await progress.evaluate("el => el.value") == 4
    report = page.locator("#import-report tr")
    await expect(report).to_have_count(2)
    await expect(report.nth(0)).to_have_attribute("data-line", "3")
    await expect(report.nth(0)).to_contain_text("id: String should match pattern")
    await expect(report.nth(1)).to_have_attribute("data-line", "5")
    await expect(report.nth(1)).to_contain_text("unknown groups: nosuchgroup")
    rows = page.locator("#responder-rows tr")
    await expect(rows).to_have_count(2)
    listed = (await trust.admin.get(f"/v1/trusts/{trust.id}/responders")).json()
    assert [(r["id"], r["groups"], r["skills"]) for r in listed] == [
        ("bob", ["staff"], ["bls"]),
        ("cara", ["staff", "community"], []),
    ]
    await screenshot(page, "admin-responders-phone", viewport=PHONE)
    await assert_fits_width(page)
    await assert_accessible(page)

    await page.get_by_label("Search by id or name").fill("jones")
    await page.get_by_label("Search by id or name").press("Enter")
    await expect(rows).to_have_count(1)
    cara = page.locator('#responder-rows tr[data-responder-id="cara"]')
    await cara.get_by_role("button", name="Suspend Cara Jones").click()
    await expect(cara.locator(".status")).to_have_text("suspended")
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders/cara")).json()["status"] == "suspended"

    await cara.get_by_role("button", name="Issue token for Cara Jones").click()
    await expect(page.locator("#token-value")).to_have_text(re.compile(r"^rsp_\S{20,}$"))
    token = await page.locator("#token-value").text_content()
    async with httpx.AsyncClient(base_url=stack.base_url, headers={"Authorization": f"Bearer {token}"}) as c:
        assert (await c.get("/v1/whoami")).status_code == 401  # suspended: the token is refused
        reinstated = await trust.admin.patch(f"/v1/trusts/{trust.id}/responders/cara", json={"status": "active"})
        assert reinstated.status_code == 200
        me = (await c.get("/v1/whoami")).json()
    assert me["kind"] == "responder" and me["responder_id"] == "cara"

    add = page.locator("#add-form")
    await add.get_by_label("Id").fill("eve")
    await add.get_by_role("group", name="Groups").get_by_label("Staff").check()
    await add.get_by_role("button", name="Add responder").click()
    await expect(page.locator("#err-new-name")).to_contain_text("at least 1 character")
    await expect(add.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders/eve")).status_code == 404
    await add.get_by_label("Name").fill("Eve Adams")
    await add.get_by_role("button", name="Add responder").click()
    await expect(page.locator("#responder-message")).to_have_text("Eve Adams was added.")
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders/eve")).json()["groups"] == ["staff"]

    await page.get_by_label("Search by id or name").fill("")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(rows).to_have_count(3)
    await (
        page.locator('#responder-rows tr[data-responder-id="bob"]')
        .get_by_role("button", name="Erase Bob Smith")
        .click()
    )
    await expect(page.locator("#responder-message")).to_have_text("Bob Smith was erased.")
    await expect(rows).to_have_count(2)
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders/bob")).status_code == 404
    await trust.close()
