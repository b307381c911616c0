"""A verifier brings responders in from the console, at desktop size, with no token read out: a
volunteer's application (with their CPR certificate) is approved into a group and its invite link
and QR code signs their phone in, eligible at once; another is refused with a reason; an existing
responder gets an invite link, and a renewed credential is downloaded and marked as checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, screenshot, sign_in_staff, until
from tests.e2e.responder_phone import phone_page, staff_near
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.documents import PDF, PNG, form
from tests.support.staff import PASSWORD, signed_in

pytestmark = pytest.mark.e2e
CONTROL_ROOM = {"width": 1366, "height": 768}


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def apply(stack, trust_id: str, name: str, *, with_cpr: bool) -> dict:
    async with httpx.AsyncClient(base_url=stack.base_url) as public:
        r = await public.post(f"/v1/trusts/{trust_id}/registrations", json={"name": name, "email": "v@example.org"})
        assert r.status_code == 201, r.text
        reg = r.json()
        if with_cpr:
            up = await public.post(
                f"/v1/registrations/{reg['id']}/credentials",
                headers={"Authorization": f"Bearer {reg['upload_token']}"},
                **form("cpr", day(300), PDF),
            )
            assert up.status_code == 201, up.text
    return reg


async def test_a_verifier_approves_refuses_invites_and_checks_credentials(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    base = f"/v1/trusts/{trust.id}"
    r = await trust.admin.put(
        f"{base}/registration", json={"open": True, "groups": ["staff"], "required_credentials": ["cpr"]}
    )
    assert r.status_code == 200, r.text
    await apply(stack, trust.id, "Nia Evans", with_cpr=True)
    await apply(stack, trust.id, "Sam Doubt", with_cpr=False)
    verifier = await signed_in(stack, trust, roles=["verifier"], name="Val Rees")
    await verifier.close()

    page = await browsing.page(viewport=CONTROL_ROOM)
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in_staff(page, stack, verifier.email, PASSWORD)
    await page.get_by_role("link", name="Responders").click()
    nia = page.get_by_role("article", name="Application from Nia Evans")
    await expect(nia).to_contain_text("CPR: valid until")
    await expect(page.locator("#applications-count")).to_have_text("2 waiting")
    await expect(nia.get_by_role("checkbox", name="Staff")).to_be_checked()  # the trust's default group
    async with page.expect_download() as downloading:
        await nia.get_by_role("button", name="Download the file CPR of Nia Evans").click()
    assert (await (await downloading.value).path()).read_bytes() == PDF
    await assert_accessible(page)
    await screenshot(page, "console-applications")

    await nia.get_by_role("button", name="Approve Nia Evans").click()
    await expect(page.locator("#applications-message")).to_contain_text("Nia Evans is now a responder")
    invite = page.locator("#responder-invite")
    await expect(invite).to_contain_text("Invite for Nia Evans")
    assert (await page.locator("#responder-invite-qr").get_attribute("src")).startswith("data:image/svg+xml")
    link = (await page.locator("#responder-invite-link").inner_text()).strip()
    assert "/responder#invite=" in link
    await expect(page.locator("#responder-rows")).to_contain_text("Nia Evans")
    await screenshot(page, "console-approved-invite")

    # the link signs Nia's phone in, and her checked certificate makes her eligible at once
    phone = await phone_page(browsing, north_of(CENTRE, 100))
    await phone.goto(link)
    await expect(phone.locator("#duty-state")).to_have_text("On duty — you can be alerted")
    await until(lambda: staff_near(trust, CENTRE, 1))

    # refusing needs a reason
    sam = page.get_by_role("article", name="Application from Sam Doubt")
    await sam.get_by_role("button", name="Refuse Sam Doubt").click()
    await expect(sam.locator(".field-error")).to_have_text("Give a reason to refuse.")
    await sam.get_by_label("Reason, if you refuse").fill("No certificate after two reminders")
    await sam.get_by_role("button", name="Refuse Sam Doubt").click()
    await expect(page.locator("#applications-message")).to_have_text("Sam Doubt's application was refused.")
    await expect(page.locator("#applications-count")).to_have_text("None waiting.")
    refused = (await trust.admin.get(f"{base}/registrations")).json()
    assert {a["name"]: a["status"] for a in refused}["Sam Doubt"] == "refused"

    # an existing responder: an invite link with its QR code, and a renewal to check
    await trust.responder("owen", ["staff"])
    async with stack.client(trust.tokens["owen"]) as owen:
        up = await owen.post("/v1/me/credentials", **form("cpr", day(200), PNG, name="c.png", declared="image/png"))
        assert up.status_code == 201, up.text
    await page.get_by_role("button", name="Search").click()
    row = page.locator("#responder-rows tr[data-responder-id=owen]")
    await row.get_by_role("button", name="Invite to the app Owen").click()
    await expect(invite).to_contain_text("Invite for Owen")
    await row.get_by_role("button", name="Credentials of Owen").click()
    editor = page.locator("tr.credential-editor")
    await expect(editor).to_contain_text("CPR: Waiting to be checked")
    await expect(editor).to_contain_text("Not alerted until checked: CPR")
    await screenshot(page, "console-credentials")
    await editor.get_by_role("button", name="Mark as checked CPR").click()
    await expect(editor).to_contain_text("CPR: Checked — valid until")
    await expect(editor).not_to_contain_text("Not alerted until checked")
    await expect(page.locator("#responder-message")).to_have_text("Owen's CPR is checked.")
    await assert_accessible(page)
    checked = (await trust.admin.get(f"{base}/responders/owen/credentials")).json()
    assert checked["missing"] == [] and checked["credentials"][0]["status"] == "verified"

    # self-registration settings: the link to publish, and closing it
    await expect(page.get_by_label("Take applications from volunteers")).to_be_checked()
    await expect(page.locator("#registration-link")).to_have_text(f"{stack.base_url}/responder?apply={trust.id}")
    await expect(
        page.get_by_role("group", name="Groups approved volunteers join").get_by_label("Staff")
    ).to_be_checked()
    await expect(page.get_by_label("Credentials every responder must hold")).to_have_value("cpr")
    await page.get_by_label("Take applications from volunteers").uncheck()
    await page.get_by_role("button", name="Save self-registration").click()
    await expect(page.locator("#registration-saved")).to_contain_text("Saved.")
    settings = (await trust.admin.get(f"{base}/registration")).json()
    assert settings["open"] is False and settings["required_credentials"] == ["cpr"]
    await trust.close()
