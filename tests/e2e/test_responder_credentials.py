"""Credentials on a small phone: the trust requires a CPR certificate; the responder sees it missing,
uploads a photo or PDF of the renewed one (a file that only pretends to be a PDF is refused beside
the field and nothing is stored), sees it waiting to be checked and then checked; the expiry
reminder (the worker's job, for real) reaches the open page and its "Renew now" leads to the form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from alerting.services import reminders
from alerting.services.context import build_services
from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot
from tests.e2e.responder_phone import SMALL, join, phone_page
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.documents import FAKE_PDF, PDF, PNG, form

pytestmark = pytest.mark.e2e


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def test_a_responder_renews_a_credential_from_the_phone_and_is_reminded(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    base = f"/v1/trusts/{trust.id}"
    await trust.admin.put(f"{base}/registration", json={"open": False, "required_credentials": ["cpr"]})
    await trust.responder("ivy", ["staff"])
    phone = await phone_page(browsing, north_of(CENTRE, 100), viewport=SMALL)
    await join(phone, trust, "ivy")

    await phone.get_by_role("link", name="Profile").click()
    box = phone.locator("#credentials")
    await expect(box.get_by_role("heading", name="Your credentials")).to_be_visible()
    await expect(box.locator("li[data-kind=cpr]")).to_have_text("CPRMissing — upload it to be alerted")
    await expect(phone.locator("#credentials-missing")).to_be_visible()

    # a web page named .pdf is refused beside the file field, and nothing is stored
    await phone.get_by_label("Valid until (the date on the certificate)").fill(day(365))
    await phone.get_by_label("Photo or PDF of the certificate").set_input_files(
        {"name": "cpr.pdf", "mimeType": "application/pdf", "buffer": FAKE_PDF}
    )
    await phone.get_by_role("button", name="Upload").click()
    await expect(phone.locator("#credential-file-error")).to_have_text(
        "This file is not a PDF, JPEG or PNG. Take a photo of the certificate or choose its PDF."
    )
    mine = stack.client(trust.tokens["ivy"])
    assert (await mine.get("/v1/me")).json()["credentials"] == []

    # a date already past is said beside the date
    await phone.get_by_label("Valid until (the date on the certificate)").fill(day(-1))
    await phone.get_by_role("button", name="Upload").click()
    await expect(phone.locator("#credential-expires-error")).to_have_text(
        "That date has passed: upload a certificate that is still valid."
    )

    # a photo of the certificate: waiting to be checked, then checked
    await phone.get_by_label("Valid until (the date on the certificate)").fill(day(10))
    await phone.get_by_label("Photo or PDF of the certificate").set_input_files(
        {"name": "IMG_2041.png", "mimeType": "image/png", "buffer": PNG}
    )
    await phone.get_by_role("button", name="Upload").click()
    await expect(phone.locator("#credential-status")).to_have_text(
        "CPR uploaded. Your trust will check it; it counts once they have."
    )
    held = (await mine.get("/v1/me")).json()["credentials"]
    assert [(c["kind"], c["status"], c["media_type"], c["expires_on"]) for c in held] == [
        ("cpr", "pending", "image/png", day(10))
    ]
    await expect(box.locator("li.pending")).to_contain_text("Waiting to be checked by your trust")
    await assert_fits_width(phone)
    await assert_accessible(phone)
    await screenshot(phone, "credentials-pending-360")
    r = await trust.admin.post(f"{base}/responders/ivy/credentials/{held[0]['id']}/verify")
    assert r.status_code == 200, r.text
    await phone.reload()
    await phone.get_by_role("link", name="Profile").click()
    await expect(box.locator("li.verified")).to_contain_text("Checked — valid until")
    await expect(phone.locator("#credentials-missing")).to_be_hidden()

    # the worker's reminder job finds it 10 days from expiry and tells the open page
    await phone.get_by_role("link", name="Alerts").click()
    await expect(phone.locator("#duty-state")).to_have_text("On duty — you can be alerted")
    services = build_services(stack.settings)
    try:
        assert await reminders.send_due(services) >= 1
    finally:
        await services.aclose()
    banner = phone.locator("#reminder")
    await expect(banner).to_contain_text("Your CPR certificate expires in 10 days")
    await screenshot(phone, "credentials-reminder-360")
    await assert_accessible(phone)
    await banner.get_by_role("link", name="Renew now").click()
    await expect(phone.get_by_label("Credential", exact=True)).to_be_focused()

    # the renewal, as a PDF
    await phone.get_by_label("Valid until (the date on the certificate)").fill(day(400))
    await phone.get_by_label("Photo or PDF of the certificate").set_input_files(
        {"name": "cpr-2027.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    await phone.get_by_role("button", name="Upload").click()
    await expect(phone.locator("#credential-status")).to_contain_text("CPR uploaded")
    await expect(box.locator("li")).to_have_count(2)
    kinds = [(c["status"], c["media_type"]) for c in (await mine.get("/v1/me")).json()["credentials"]]
    assert sorted(kinds) == [("pending", "application/pdf"), ("verified", "image/png")]
    await screenshot(phone, "credentials-renewed-360")
    await mine.aclose()
    await trust.close()


async def test_welsh_credentials_read_in_welsh(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.admin.put(f"/v1/trusts/{trust.id}/registration", json={"open": False, "required_credentials": ["cpr"]})
    await trust.responder("osian", ["staff"])
    mine = stack.client(trust.tokens["osian"])
    r = await mine.post("/v1/me/credentials", **form("cpr", day(20), PDF))
    assert r.status_code == 201, r.text
    phone = await phone_page(browsing, north_of(CENTRE, 100), viewport=SMALL, locale="cy-GB")
    await join(phone, trust, "osian", reachable="Ar ddyletswydd — gellir anfon rhybudd atoch chi")
    await phone.get_by_role("link", name="Proffil").click()
    await expect(phone.get_by_role("heading", name="Eich cymwysterau")).to_be_visible()
    await expect(phone.locator("#credentials li.pending")).to_contain_text("Yn aros i'ch ymddiriedolaeth ei wirio")
    await expect(phone.get_by_role("button", name="Uwchlwytho")).to_be_visible()
    await assert_accessible(phone)
    await screenshot(phone, "credentials-welsh-360")
    await mine.aclose()
    await trust.close()
