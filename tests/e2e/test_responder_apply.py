"""A volunteer applies from the link the trust publishes, on a small phone: name and contact, then
a photo or PDF of each certificate the trust requires (a file that only pretends to be a PDF is
refused beside it), then told what happens next; the verifier sees the application with its file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, assert_fits_width, screenshot
from tests.e2e.responder_phone import SMALL, phone_page
from tests.e2e.test_responder_journey import POLICY
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.documents import FAKE_PDF, PDF

pytestmark = pytest.mark.e2e


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def test_a_volunteer_applies_from_the_trusts_link(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    base = f"/v1/trusts/{trust.id}"
    phone = await phone_page(browsing, north_of(CENTRE, 100), viewport=SMALL)

    # closed: said plainly, nothing recorded
    await phone.goto(f"{stack.base_url}/responder?apply={trust.id}")
    await phone.get_by_label("Your full name").fill("Rhys Morgan")
    await phone.get_by_label("Email address").fill("rhys@example.org")
    await phone.get_by_role("button", name="Apply").click()
    await expect(phone.locator("#apply-status")).to_have_text(
        "This ambulance service is not taking applications here at the moment."
    )

    r = await trust.admin.put(
        f"{base}/registration", json={"open": True, "groups": ["staff"], "required_credentials": ["cpr"]}
    )
    assert r.status_code == 200, r.text
    await phone.reload()
    await expect(phone.get_by_role("heading", name="Apply to volunteer")).to_be_visible()
    await phone.get_by_role("button", name="Apply").click()
    await expect(phone.locator("#apply-name-error")).to_have_text("Enter your name.")
    await phone.get_by_label("Your full name").fill("Rhys Morgan")
    await phone.get_by_role("button", name="Apply").click()
    await expect(phone.locator("#apply-email-error")).to_contain_text("Enter an email address or a mobile number")
    await phone.get_by_label("Email address").fill("rhys@example.org")
    await assert_fits_width(phone)
    await assert_accessible(phone)
    await screenshot(phone, "apply-form-360")
    await phone.get_by_role("button", name="Apply").click()
    await expect(phone.locator("#apply-uploads-intro")).to_have_text(
        "Application sent. Now upload a photo or PDF of each certificate they require: CPR."
    )

    cpr = phone.get_by_role("form", name="CPR")
    await cpr.get_by_label("Valid until (the date on the certificate)").fill(day(200))
    await cpr.get_by_label("Photo or PDF of the certificate").set_input_files(
        {"name": "cpr.pdf", "mimeType": "application/pdf", "buffer": FAKE_PDF}
    )
    await cpr.get_by_role("button", name="Upload CPR").click()
    await expect(cpr.locator(".field-error")).to_contain_text("This file is not a PDF, JPEG or PNG")
    await cpr.get_by_label("Photo or PDF of the certificate").set_input_files(
        {"name": "cpr.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    await cpr.get_by_role("button", name="Upload CPR").click()
    await expect(phone.locator("#apply-done")).to_contain_text("Your application is with your ambulance service")
    await assert_accessible(phone)
    await screenshot(phone, "apply-done-360")

    pending = (await trust.admin.get(f"{base}/registrations", params={"status": "pending"})).json()
    assert [(a["name"], a["email"]) for a in pending] == [("Rhys Morgan", "rhys@example.org")]
    assert [(c["kind"], c["expires_on"], c["media_type"]) for c in pending[0]["credentials"]] == [
        ("cpr", day(200), "application/pdf")
    ]
    await trust.close()
