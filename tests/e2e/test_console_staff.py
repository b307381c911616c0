"""People sign in to the console as themselves, and see what their roles allow: a dispatcher through
the trust's single sign-on (a real OpenID Provider on loopback) sees the live map but no policy
editor; a policy editor signs in with a password and changes a radius; the audit names them and
the change field by field, filters by person, action and date, and downloads as CSV."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import Page, expect

from tests.e2e.browser import assert_accessible, screenshot, sign_in_staff
from tests.support.clients import make_trust
from tests.support.oidc_provider import OpenIDProvider
from tests.support.staff import PASSWORD, email_for, invite

pytestmark = pytest.mark.e2e  # a real browser against the real stack

CONTROL_ROOM = {"width": 1366, "height": 768}
DOMAIN = "trust.nhs.test"
TRUST_NAME = "Yorkshire Ambulance Service"


@pytest.fixture(scope="module")
def provider():
    op = OpenIDProvider().start()
    yield op
    op.stop()


async def connect_sso(stack, trust, op: OpenIDProvider) -> None:
    client = op.register_client(f"{stack.base_url}/v1/auth/sso/callback")
    body = {
        "issuer": op.issuer,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "allowed_domains": [DOMAIN],
        "name": "NHS Care Identity",
    }
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/sso", json=body)
    assert r.status_code == 200, r.text


async def status_of_change(page: Page, trust_id: str) -> int:
    """What the API answers when this browser's session, with its CSRF token, saves the policy."""
    return await page.evaluate(
        """async (trust) => {
            const me = await (await fetch('/v1/whoami')).json();
            const base = `/v1/trusts/${trust}`;
            const policy = await (await fetch(`${base}/policy`)).json();
            delete policy.version; delete policy.warnings;
            const r = await fetch(`${base}/policy`, {method: 'PUT', body: JSON.stringify(policy),
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token}});
            return r.status;
        }""",
        trust_id,
    )


async def test_a_dispatcher_signs_in_through_sso_and_sees_the_map_but_no_policy_editor(stack, browsing, provider):
    trust = await make_trust(stack, name=TRUST_NAME)
    await connect_sso(stack, trust, provider)
    email = email_for("dana", DOMAIN)
    await invite(trust, roles=["dispatcher"], name="Dana Cole", email=email)
    provider.add_user(email, "Dana Cole")
    provider.sign_in_as(email)

    page = await browsing.page(viewport=CONTROL_ROOM)
    await page.goto(f"{stack.base_url}/admin?trust={trust.id}")
    sso = page.get_by_role("link", name="Sign in with NHS Care Identity")
    await expect(sso).to_be_visible()
    await expect(page.locator("#sign-in-trust")).to_have_text(TRUST_NAME)
    await assert_accessible(page)
    await screenshot(page, "console-sign-in")
    await sso.click()

    await expect(page.locator("#who-name")).to_have_text("Dana Cole")
    await expect(page.locator("#who-roles")).to_have_text("(Dispatcher)")
    await expect(page.locator("#trust-name")).to_have_text(TRUST_NAME)
    await expect(page.locator("#live-status")).to_have_text("Live")
    await expect(page.get_by_role("region", name="Map of open incidents")).to_be_visible()
    await expect(page.get_by_role("link", name="Responders")).to_be_hidden()
    await screenshot(page, "console-dispatcher-map")

    await page.get_by_role("link", name="Policy").click()
    await expect(page.locator("#policy-summary")).to_contain_text("changing it needs the policy editor role")
    await expect(page.locator("#policy-summary-phases tr").first).to_contain_text("200 m")
    await expect(page.get_by_role("button", name="Save policy")).to_be_hidden()
    await expect(page.get_by_role("button", name="Replace zones")).to_be_hidden()
    await expect(page.get_by_label("Radius (m)")).to_have_count(0)
    await assert_accessible(page)
    await screenshot(page, "console-dispatcher-policy")
    assert await status_of_change(page, trust.id) == 403  # the API refuses it too

    await page.goto(f"{stack.base_url}/admin#responders")  # asking for it by address shows the map
    await expect(page.locator("#map-section")).to_be_visible()
    await expect(page.locator("#responders-section")).to_be_hidden()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("link", name="Sign in with NHS Care Identity")).to_be_visible()  # remembered
    assert await page.evaluate("async () => (await fetch('/v1/whoami')).status") == 401
    await trust.close()


async def test_a_refused_single_sign_on_explains_itself_in_words(stack, browsing, provider):
    trust = await make_trust(stack, name=TRUST_NAME)
    await connect_sso(stack, trust, provider)
    email = email_for("stranger", DOMAIN)  # known to the provider, not to the trust
    provider.add_user(email, "Sam Stranger")
    provider.sign_in_as(email)

    page = await browsing.page(viewport=CONTROL_ROOM)
    await page.goto(f"{stack.base_url}/admin?trust={trust.id}")
    await page.get_by_role("link", name="Sign in with NHS Care Identity").click()
    await expect(page.locator("#sign-in-error")).to_contain_text("this console has no active account for you")
    assert "sso_error" not in page.url and page.url.endswith("/admin")
    await expect(page.get_by_role("navigation", name="Console sections")).to_be_hidden()
    await assert_accessible(page)
    await screenshot(page, "console-sso-refused")

    # The same refusal to a program is still problem+json.
    r = await trust.admin.get("/v1/auth/sso/callback", params={"state": "never-issued", "code": "x"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    await trust.close()


async def test_a_policy_editor_changes_a_radius_and_the_audit_names_them(stack, browsing):
    trust = await make_trust(stack, name=TRUST_NAME)
    created = await invite(trust, roles=["policy"], name="Priya Shah")
    r = await trust.admin.post(f"/v1/auth/invites/{created['invite_code']}", json={"password": PASSWORD})
    assert r.status_code == 200, r.text

    page = await browsing.page(viewport=CONTROL_ROOM)
    await page.goto(f"{stack.base_url}/admin")
    await page.get_by_label("Email address", exact=True).fill(created["email"])
    await page.get_by_label("Password", exact=True).fill("not the password at all")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.locator("#sign-in-error")).to_have_text(
        "That email address and password do not match an account. Check them and try again."
    )
    await sign_in_staff(page, stack, created["email"], PASSWORD)
    await expect(page.locator("#who-name")).to_have_text("Priya Shah")
    await expect(page.locator("#who-roles")).to_have_text("(Policy editor)")
    await expect(page.get_by_role("link", name="Responders")).to_be_hidden()

    await page.get_by_role("link", name="Policy").click()
    radius = page.get_by_role("group", name="Phase 1", exact=True).get_by_label("Radius (m)")
    await expect(radius).to_have_value("200")
    await radius.fill("300")
    await page.get_by_role("button", name="Save policy").click()
    await page.get_by_role("button", name="Save these changes").click()  # sent with the session's CSRF token
    await expect(page.locator("#policy-saved")).to_contain_text("Saved as version 2")
    policy = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert policy["phases"][0]["radius_m"] == 300

    await page.get_by_role("link", name="Audit").click()
    change = page.locator('#audit-rows tr[data-action="policy.update"]').first
    await expect(change).to_contain_text("Priya Shah")
    await expect(change).to_contain_text("Changed the policy")
    await expect(change.locator("ul.changes li")).to_have_text(["phase 'trusted' radius 200 → 300 m"])  # nothing else
    await expect(page.locator('#audit-rows tr[data-action="trust.create"]')).to_have_count(1)

    # by person: only what Priya did
    await page.get_by_label("Who", exact=True).select_option(label="Priya Shah")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator('#audit-rows tr[data-action="trust.create"]')).to_have_count(0)
    rows = page.locator("#audit-rows tr")
    await expect(rows.first).to_contain_text("Priya Shah")
    for text in await rows.all_inner_texts():
        assert "Priya Shah" in text, text
    # by action and date
    today = dt.datetime.now(dt.UTC).date()
    await page.get_by_label("What", exact=True).select_option(label="Policy and zones")
    await page.get_by_label("From (UTC)").fill(today.isoformat())
    await page.get_by_label("To (UTC, inclusive)").fill(today.isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("radius 200 → 300 m")
    await assert_accessible(page)
    await screenshot(page, "console-audit")

    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download as CSV").click()
    csv_text = (await (await downloading.value).path()).read_text(encoding="utf-8")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,at,who,") and len(lines) == 2, csv_text
    assert "Priya Shah" in lines[1] and "radius 200 → 300 m" in lines[1]

    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    await page.get_by_label("From (UTC)").fill(tomorrow)
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#audit-dates-error")).to_have_text("The end date is before the start date.")
    await page.get_by_label("To (UTC, inclusive)").fill(tomorrow)
    await page.get_by_role("button", name="Show").click()
    await expect(rows).to_have_text(["Nothing matches these filters."])
    await trust.close()


TIMELINE = [
    (
        {
            "event": "reported",
            "category": "09-E-01",
            "location_type": "public",
            "rules": "trust-wide phases, policy v1",
            "accept_limit": 2,
        },
        "Reported: category 09-E-01 (public place); trust-wide phases, policy v1; 2 responders needed",
    ),
    (
        {"event": "phase_fired", "phase": "trusted", "radius_m": 200, "groups": ["staff"], "alerted": ["a", "b", "c"]},
        "Phase 'trusted' fired: alerted 3 responders within 200 m (Staff)",
    ),
    (
        {"event": "phase_fired", "phase": "wide", "radius_m": 1500, "groups": [], "alerted": []},
        "Phase 'wide' fired: nobody new to alert within 1.5 km",
    ),
    ({"event": "responder.accepted", "responder": "alex", "role": "scene"}, "Alex accepted"),
    ({"event": "responder.accepted", "responder": "bo", "role": "aed"}, "Bo accepted to fetch the defibrillator first"),
    ({"event": "responder.declined", "responder": "bo", "reason": "too_far"}, "Bo declined: too far away"),
    ({"event": "responder.declined", "responder": "bo"}, "Bo declined"),
    (
        {"event": "accept_refused", "responder": "cy", "reason": "filled"},
        "Responder cy accepted too late and was stood down: enough responders had already accepted",
    ),
    (
        {"event": "responder_skipped", "responder": "alex", "reason": "quiet_hours", "phase": "trusted"},
        "Alex was not alerted in phase 'trusted': in their quiet hours",
    ),
    ({"event": "incident.filled", "accepted": 2}, "Filled: 2 responders accepted; stood down: everyone else alerted"),
    ({"event": "responder.withdrawn", "responder": "alex", "was": "accepted"}, "Alex withdrew after accepting"),
    ({"event": "alert.expired", "responder": "bo"}, "Bo's alert expired unanswered"),
    ({"event": "incident.exhausted", "alerted": 1}, "Every phase fired and nobody accepted (1 responder alerted)"),
    (
        {"event": "incident.cancelled", "reason": "crew on scene"},
        "Cancelled: crew on scene; stood down: everyone still involved",
    ),
    (
        {"event": "webhook.attempt", "webhook_event": "responder.accepted", "attempt": 1, "outcome": "retry"},
        "CAD told that a responder accepted (attempt 1): not delivered, will retry",
    ),
    ({"event": "cad.incident.filled"}, "CAD to be told that the incident is filled"),
    (
        {"event": "alerted_by_hand", "responder": "bo", "by": "Dana Cole", "distance_m": 1400},
        "Dana Cole alerted Bo by hand (1.4 km away)",
    ),
    ({"event": "escalated", "phase": "wide", "by": "the CAD"}, "The CAD fired phase 'wide' ahead of its time"),
    ({"event": "alerting_resumed", "by": "Dana Cole"}, "Alerting resumed: Dana Cole alerted someone by hand"),
    (
        {"event": "message.sent", "by": "Dana Cole", "text": "Side door", "to": ["alex", "bo"]},
        "Dana Cole wrote to Alex and Bo: “Side door”",
    ),
    ({"event": "message.received", "responder": "alex", "text": "On my way"}, "Alex wrote: “On my way”"),
    (
        {"event": "incident.cancelled", "reason": "crew on scene", "by": "Dana Cole"},
        "Cancelled by Dana Cole: crew on scene; stood down: everyone still involved",
    ),
    (
        {"event": "cad.responder.message", "responder": "alex"},
        "CAD to be told that a responder wrote to the control room (Alex)",
    ),
    ({"event": "outcome", "outcome": "rosc"}, "The CAD gave the outcome: the patient's heart started again (ROSC)"),
    (
        {"event": "outcome", "outcome": "transported", "was": "unknown"},
        "The CAD gave the outcome: the patient was taken to hospital (it had said: not known)",
    ),
    (
        {"event": "ambulance_arrived", "ambulance_arrived_at": "2026-03-01T10:07:30.000Z"},
        "The CAD said the ambulance crew reached the scene at 10:07 UTC",
    ),
    (
        {"event": "confirmation_expired", "after_s": 600},
        "Nobody confirmed the bystander's alarm within 10 minutes: closed, nobody was alerted",
    ),
    (
        {"event": "cad.incident.stood_down", "status": "closed", "reason_code": "not_confirmed"},
        "CAD to be told that everyone was stood down",
    ),
    ({"event": "something_new.happened"}, "Something new happened"),
]


async def test_timeline_events_read_as_sentences(stack, browsing):
    page = await browsing.page(viewport=CONTROL_ROOM)
    await page.goto(f"{stack.base_url}/admin")
    got = await page.evaluate(
        """async (entries) => {
            const { describeEvent } = await import('/web/timeline-words.js');
            const names = { responders: { alex: 'Alex', bo: 'Bo' }, groups: { staff: 'Staff' } };
            return entries.map((e) => describeEvent(e, names));
        }""",
        [entry for entry, _ in TIMELINE],
    )
    assert got == [sentence for _, sentence in TIMELINE]
