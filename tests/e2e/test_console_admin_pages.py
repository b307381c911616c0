"""A trust's console administrator runs the trust from the console: invites a person with a role and
sees the link, the person opens it and sets a password, the admin changes their roles and
deactivates them (their session ends at once); connects the trust's identity provider (a real
OpenID Provider on loopback) and changes it without retyping the secret; rotates the API key with a
grace period. Other roles see none of it, and the API refuses them."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e.browser import assert_accessible, screenshot, sign_in_staff
from tests.support.clients import make_trust
from tests.support.oidc_provider import OpenIDProvider
from tests.support.staff import PASSWORD, email_for, signed_in

pytestmark = pytest.mark.e2e  # a real browser against the real stack

CONTROL_ROOM = {"width": 1366, "height": 768}
DOMAIN = "trust.nhs.test"


@pytest.fixture(scope="module")
def provider():
    op = OpenIDProvider().start()
    yield op
    op.stop()


async def admin_page(stack, browsing, trust) -> tuple[Page, str]:
    """A person with the admin role signed in with their password; returns the page and their email."""
    admin = await signed_in(stack, trust, roles=["admin"], name="Alex Morgan")
    await admin.close()
    page = await browsing.page(viewport=CONTROL_ROOM)
    page.on("dialog", lambda dialog: dialog.accept())  # the page asks before it deactivates or rotates
    await sign_in_staff(page, stack, admin.email, PASSWORD)
    return page, admin.email


async def test_an_admin_invites_a_person_who_sets_a_password_then_changes_their_roles_and_deactivates_them(
    stack, browsing
):
    trust = await make_trust(stack, name="North West Ambulance Service")
    page, _ = await admin_page(stack, browsing, trust)
    await page.get_by_role("link", name="Staff").click()
    await expect(page.locator("#staff-rows")).to_contain_text("Alex Morgan")
    await expect(page.locator("#staff-rows")).to_contain_text("(you)")

    # invite: a missing role and a bad address are said beside their fields, and nothing is created
    await page.get_by_label("Their name").fill("Priya Shah")
    await page.get_by_label("Their email address").fill("priya at trust")
    await page.get_by_role("checkbox", name="Viewer").uncheck()
    await page.get_by_role("button", name="Invite", exact=True).click()
    await expect(page.locator("#err-staff-email")).to_contain_text("Enter an email address")
    await expect(page.locator("#err-staff-roles")).to_have_text("Choose at least one role.")
    assert len((await trust.admin.get(f"/v1/trusts/{trust.id}/staff")).json()) == 1

    email = email_for("priya", DOMAIN)
    await page.get_by_label("Their email address").fill(email)
    await page.get_by_role("checkbox", name="Policy editor").check()
    await page.get_by_role("button", name="Invite", exact=True).click()
    await expect(page.locator("#invite-for")).to_have_text("Invite link for Priya Shah")
    link = (await page.locator("#invite-link").inner_text()).strip()
    assert link.startswith(f"{stack.base_url}/admin#invite=")
    row = page.locator("#staff-rows tr[data-staff-id]", has_text="Priya Shah")
    await expect(row).to_contain_text("Policy editor")
    await expect(row).to_contain_text("Invited, not signed in yet")
    await assert_accessible(page)
    await screenshot(page, "console-staff-invited")

    # the same address twice is refused beside the field
    await page.get_by_label("Their name").fill("Priya Again")
    await page.get_by_label("Their email address").fill(email)
    await page.get_by_role("button", name="Invite", exact=True).click()
    await expect(page.locator("#err-staff-email")).to_have_text("This address already has an account in this trust.")

    # Priya opens the link in her own browser, sets a password and is signed in
    priya = await browsing.page(viewport=CONTROL_ROOM)
    await priya.goto(link)
    await expect(priya.get_by_role("heading", name="Set your password")).to_be_visible()
    assert "invite=" not in priya.url  # the code leaves the address bar at once
    await priya.get_by_label("New password").fill("short")
    await priya.get_by_role("button", name="Set password and sign in").click()
    await expect(priya.locator("#new-password-error")).to_have_text("Use at least 12 characters.")
    await priya.get_by_label("New password").fill(PASSWORD)
    await priya.get_by_label("The same password again").fill(PASSWORD + "!")
    await priya.get_by_role("button", name="Set password and sign in").click()
    await expect(priya.locator("#repeat-password-error")).to_have_text("The two passwords are not the same.")
    await priya.get_by_label("The same password again").fill(PASSWORD)
    await assert_accessible(priya)
    await screenshot(priya, "console-set-password")
    await priya.get_by_role("button", name="Set password and sign in").click()
    await expect(priya.locator("#who-name")).to_have_text("Priya Shah")
    await expect(priya.locator("#who-roles")).to_have_text("(Policy editor)")
    await expect(priya.get_by_role("link", name="Staff")).to_be_hidden()
    await expect(priya.get_by_role("link", name="Sign-in and keys")).to_be_hidden()
    assert await priya.evaluate(f"async () => (await fetch('/v1/trusts/{trust.id}/staff')).status") == 403

    # the link worked once
    again = await browsing.page(viewport=CONTROL_ROOM)
    await again.goto(link)
    await again.get_by_label("New password").fill(PASSWORD)
    await again.get_by_label("The same password again").fill(PASSWORD)
    await again.get_by_role("button", name="Set password and sign in").click()
    await expect(again.locator("#invite-error")).to_contain_text("may have been used already")
    await expect(again.get_by_label("Email address", exact=True)).to_be_visible()

    # the admin gives her the dispatcher role as well
    await page.reload()
    await row.get_by_role("button", name="Change roles Priya Shah").click()
    editor = page.get_by_role("group", name="Roles of Priya Shah")
    await expect(editor.get_by_role("checkbox", name="Policy editor")).to_be_checked()
    await editor.get_by_role("checkbox", name="Dispatcher").check()
    await page.get_by_role("button", name="Save roles").click()
    await expect(page.locator("#staff-message")).to_have_text(
        "Priya Shah now has the roles: Dispatcher, Policy editor."
    )
    await expect(row).to_contain_text("Active")
    member = next(p for p in (await trust.admin.get(f"/v1/trusts/{trust.id}/staff")).json() if p["email"] == email)
    assert member["roles"] == ["dispatcher", "policy"]
    await screenshot(page, "console-staff-roles")

    # deactivated: her open page is signed out at its next request
    await row.get_by_role("button", name="Deactivate Priya Shah").click()
    await expect(page.locator("#staff-message")).to_have_text("Priya Shah was deactivated and signed out.")
    await expect(row).to_contain_text("Deactivated")
    await expect(row.get_by_role("button", name="Reactivate Priya Shah")).to_be_visible()
    await priya.get_by_role("link", name="Audit").click()
    await expect(priya.locator("#sign-in-error")).to_have_text("Your session has ended. Please sign in again.")
    await priya.get_by_label("Email address", exact=True).fill(email)
    await priya.get_by_label("Password", exact=True).fill(PASSWORD)
    await priya.get_by_role("button", name="Sign in", exact=True).click()
    await expect(priya.locator("#sign-in-error")).to_contain_text("do not match an account")

    # the audit says it all in words
    await page.get_by_role("link", name="Audit").click()
    rows = page.locator("#audit-rows tr")
    await expect(rows.filter(has_text="Changed a staff member").first).to_contain_text("deactivated")
    await expect(rows.filter(has_text="roles Policy editor → Dispatcher, Policy editor")).to_have_count(1)
    added = rows.filter(has_text="Added a staff member").filter(has_text="Priya Shah")
    await expect(added).to_contain_text("roles: Policy editor")
    await expect(added).to_contain_text("Alex Morgan")
    await expect(rows.filter(has_text="Set their password").first).to_contain_text("Priya Shah")
    await assert_accessible(page)
    await screenshot(page, "console-staff-audit")
    await trust.close()


async def test_an_admin_connects_single_sign_on_and_changes_it_without_retyping_the_secret(stack, browsing, provider):
    trust = await make_trust(stack, name="Welsh Ambulance Service")
    page, _ = await admin_page(stack, browsing, trust)
    await page.get_by_role("link", name="Sign-in and keys").click()
    await expect(page.locator("#sso-status")).to_contain_text("Not set up")
    await expect(page.locator("#sso-redirect")).to_have_text(f"{stack.base_url}/v1/auth/sso/callback")
    client = provider.register_client(f"{stack.base_url}/v1/auth/sso/callback")

    # an issuer that is not an OpenID Provider is refused beside the field; nothing is saved
    await page.get_by_label("Issuer URL").fill(f"{stack.base_url}/not-a-provider")
    await page.get_by_label("Client ID").fill(client.client_id)
    await page.get_by_label("Client secret").fill(client.client_secret)
    await page.get_by_role("button", name="Set up single sign-on").click()
    await expect(page.locator("#err-sso-issuer")).to_contain_text("did not answer with its OpenID configuration")
    await expect(page.locator("#sso-errors")).to_contain_text("Nothing was saved")
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/sso")).status_code == 404

    await page.get_by_label("Button text").fill("NHS Care Identity")
    await page.get_by_label("Issuer URL").fill(provider.issuer)
    await page.get_by_label("Allowed email domains").fill(DOMAIN)
    await page.get_by_role("button", name="Set up single sign-on").click()
    await expect(page.locator("#sso-saved")).to_contain_text("Saved.")
    await expect(page.locator("#sso-status")).to_contain_text("Sign in with NHS Care Identity")
    await expect(page.get_by_label("Client secret")).to_have_value("")
    await expect(page.locator("#sso-secret-hint")).to_contain_text("Leave this blank to keep it")
    await assert_accessible(page)
    await screenshot(page, "console-sso-settings")

    # later: new people of the domain may come in as viewers; the secret is kept
    await page.get_by_label("Let new people in as viewers").check()
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#sso-saved")).to_contain_text("Saved.")
    saved = (await trust.admin.get(f"/v1/trusts/{trust.id}/sso")).json()
    assert (
        saved["create_viewers"] is True
        and saved["allowed_domains"] == [DOMAIN]
        and saved["name"] == "NHS Care Identity"
    )

    # a newcomer signs in through it with the kept secret, as a viewer, and sees no admin pages
    newcomer = email_for("newcomer", DOMAIN)
    provider.add_user(newcomer, "Nia Evans")
    provider.sign_in_as(newcomer)
    them = await browsing.page(viewport=CONTROL_ROOM)
    await them.goto(f"{stack.base_url}/admin?trust={trust.id}")
    await them.get_by_role("link", name="Sign in with NHS Care Identity").click()
    await expect(them.locator("#who-name")).to_have_text("Nia Evans")
    await expect(them.locator("#who-roles")).to_have_text("(Viewer)")
    await expect(them.get_by_role("link", name="Sign-in and keys")).to_be_hidden()
    await them.goto(f"{stack.base_url}/admin#access")
    await expect(them.locator("#map-section")).to_be_visible()
    await expect(them.locator("#access-section")).to_be_hidden()
    csrf = await them.evaluate("async () => (await (await fetch('/v1/whoami')).json()).csrf_token")
    status = await them.evaluate(
        """async ([trust, csrf]) => (await fetch(`/v1/trusts/${trust}/admin-key/rotate`,
             {method: 'POST', headers: {'X-CSRF-Token': csrf}})).status""",
        [trust.id, csrf],
    )
    assert status == 403

    await page.get_by_role("link", name="Audit").click()
    entry = page.locator("#audit-rows tr", has_text="Changed single sign-on").first
    await expect(entry).to_contain_text("new people let in as viewers no → yes")
    await expect(entry).not_to_contain_text("client secret replaced")
    await trust.close()


async def test_an_admin_rotates_the_api_key_and_the_old_one_works_for_the_grace_period(stack, browsing):
    trust = await make_trust(stack, name="East Midlands Ambulance Service")
    page, _ = await admin_page(stack, browsing, trust)
    await page.get_by_role("link", name="Sign-in and keys").click()
    await page.get_by_label("Key", exact=True).select_option(label="API key (console automation and set-up)")
    await page.get_by_label("The old key keeps working for").select_option(label="1 day")
    await page.get_by_role("button", name="Issue a new key").click()
    await expect(page.locator("#key-for")).to_have_text("New API key")
    new_key = (await page.locator("#key-value").inner_text()).strip()
    await expect(page.locator("#key-grace-line")).to_contain_text("The previous API key works until")
    await assert_accessible(page)
    await screenshot(page, "console-key-rotated")

    async with httpx.AsyncClient(base_url=stack.base_url) as http:
        for key in (trust.admin_key, new_key):  # both work during the grace period
            r = await http.get(f"/v1/trusts/{trust.id}/groups", headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 200, r.text

    # with no grace, the key this tab was signed in with stops at once, and the tab carries on with the new one
    keyed = await browsing.page(viewport=CONTROL_ROOM)
    keyed.on("dialog", lambda dialog: dialog.accept())
    await keyed.goto(f"{stack.base_url}/admin")
    await keyed.get_by_text("API key (for automation)").click()
    await keyed.get_by_label("API key", exact=True).fill(new_key)
    await keyed.get_by_label("API key", exact=True).press("Enter")
    await keyed.get_by_role("link", name="Sign-in and keys").click()
    await keyed.get_by_label("The old key keeps working for").select_option(label="no time: stop it now")
    await keyed.get_by_role("button", name="Issue a new key").click()
    await expect(keyed.locator("#key-grace-line")).to_have_text("The previous API key has stopped working.")
    newest = (await keyed.locator("#key-value").inner_text()).strip()
    async with httpx.AsyncClient(base_url=stack.base_url) as http:
        old = await http.get(f"/v1/trusts/{trust.id}/groups", headers={"Authorization": f"Bearer {new_key}"})
        assert old.status_code == 401
    await keyed.get_by_role("link", name="Audit").click()
    rotations = keyed.locator("#audit-rows tr", has_text="Rotated the API key")
    await expect(rotations).to_have_count(2)
    await expect(rotations.first).to_contain_text("grace period: 0 s")
    await expect(rotations.nth(1)).to_contain_text("grace period: 24 h")
    await expect(rotations.nth(1)).to_contain_text("Alex Morgan")
    assert newest != new_key
    await trust.close()
