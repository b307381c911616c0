"""A viewer opens the Numbers page: the headline figures and four charts are drawn from the trust's
real incidents (an accepted one with the responder first on scene, a declined one with a reason),
each chart's numbers are in a table beneath it, and a group filter redraws them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, screenshot, sign_in_staff
from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.staff import PASSWORD, signed_in

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def chart_data(page, name: str) -> list[list]:
    return await page.evaluate(
        "(id) => window.Chart.getChart(document.getElementById(id)).data.datasets.map((d) => d.data)",
        f"stats-{name}-chart",
    )


async def test_the_numbers_page_draws_its_charts_from_real_incidents(stack, browsing):
    trust = await make_trust(stack)
    await trust.responder("st0", ["staff"])
    await trust.responder("st1", ["staff"])
    await trust.responder("cm0", ["community"])
    socks = {rid: await online(stack, trust, rid, north_of(CENTRE, m)) for rid, m in (("st0", 80), ("st1", 150))}

    def body(ref):
        return {"cad_ref": ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}

    one = (await trust.cad.post("/v1/incidents", json=body("N-1"))).json()
    alerts = {rid: await s.next("alert", incident_id=one["id"]) for rid, s in socks.items()}
    await socks["st1"].send(type="decline", alert_id=alerts["st1"]["alert_id"], reason="too_far")
    await socks["st1"].next("declined", alert_id=alerts["st1"]["alert_id"])
    await socks["st0"].send(type="accept", alert_id=alerts["st0"]["alert_id"])
    await socks["st0"].next("assigned", alert_id=alerts["st0"]["alert_id"])
    await socks["st0"].send(type="arrived", alert_id=alerts["st0"]["alert_id"])
    await socks["st0"].roundtrip()
    r = await trust.cad.patch(f"/v1/incidents/{one['id']}", json={"ambulance_arrived_at": rfc3339(datetime.now(UTC))})
    assert r.status_code == 200, r.text
    assert (await trust.cad.post(f"/v1/incidents/{one['id']}/close")).status_code == 200
    two = (await trust.cad.post("/v1/incidents", json=body("N-2"))).json()
    for s in socks.values():
        alert = await s.next("alert", incident_id=two["id"])
        await s.send(type="decline", alert_id=alert["alert_id"], reason="busy")
        await s.next("declined", alert_id=alert["alert_id"])
    assert (await trust.cad.post(f"/v1/incidents/{two['id']}/cancel", json={"reason": "not needed"})).status_code == 200

    viewer = await signed_in(stack, trust, roles=["viewer"], name="Robin Viewer")
    await viewer.close()
    page = await browsing.page(viewport=DESKTOP)
    await sign_in_staff(page, stack, viewer.email, PASSWORD)
    await page.get_by_role("link", name="Numbers").click()
    section = page.get_by_role("region", name="Numbers")
    facts = section.locator("#stats-facts")
    await expect(facts).to_contain_text("Incidents where a responder accepted1")
    await expect(facts).to_contain_text("Alerts accepted1 of 4 (25%)")
    await expect(facts).to_contain_text("A responder on scene before the ambulance100% (1 of 1")

    today = datetime.now(UTC).date().isoformat()
    assert await chart_data(page, "days") == [[2], [2], [1]]  # today: incidents, alerted, accepted
    declines = await chart_data(page, "declines")
    assert declines == [[1, 2, 0, 0, 0]]  # too far, busy, not safe, other, none given
    (p50, p90) = await chart_data(page, "times")
    assert p50[0] is not None and p50[1] is not None and p50[0] <= p50[1]
    for name in ("days", "times", "declines", "expiries"):
        box = await page.locator(f"#stats-{name}-chart").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, name
    await section.get_by_text("The numbers", exact=True).first.click()
    await expect(section.locator("#stats-days-table").get_by_role("row", name=today)).to_contain_text("2")
    await screenshot(page, "console-numbers-desktop", viewport=DESKTOP)
    await assert_accessible(page)

    # One group: the community responder was never alerted, so nothing was accepted or declined.
    await section.get_by_label("Responder group", exact=True).select_option(label="Community")
    await section.get_by_role("button", name="Show the numbers").click()
    await expect(facts).to_contain_text("Alerts acceptedno alerts sent")
    assert await chart_data(page, "declines") == [[0, 0, 0, 0, 0]]
    for s in socks.values():
        await s.close()
    await trust.close()
