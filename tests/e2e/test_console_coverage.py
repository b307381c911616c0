"""The live map's "nobody could be alerted" layer: a viewer turns it on for an hour of the week and
sees the cells without cover drawn, with how many they are in words; a home shows more of them."""

from __future__ import annotations

import h3
import pytest
from playwright.async_api import expect

from alerting.replay.history import hour_of_week
from alerting.services import density
from alerting.services.context import build_services
from geo.hexgrid import cell_of, cells_in_area
from tests.e2e.browser import assert_accessible, screenshot, sign_in_staff
from tests.support.clients import AREA, CENTRE, make_trust, north_of, online
from tests.support.staff import PASSWORD, signed_in

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


async def test_the_live_map_shows_where_nobody_could_be_alerted(stack, browsing):
    trust = await make_trust(stack)
    await trust.responder("cm0", ["community"])  # kept out of homes
    where = north_of(CENTRE, 80)
    sock = await online(stack, trust, "cm0", where)
    services = build_services(stack.settings)
    try:
        now = services.clock()
        assert await density.record_trust(services, trust_id=trust.id, now=now) == 1
    finally:
        await services.aclose()
    how = hour_of_week(now)
    area = set(cells_in_area(AREA))
    uncovered = len(area - set(h3.grid_disk(cell_of(*where), 1)))

    viewer = await signed_in(stack, trust, roles=["viewer"], name="Robin Viewer")
    await viewer.close()
    page = await browsing.page(viewport=DESKTOP)
    await sign_in_staff(page, stack, viewer.email, PASSWORD)
    form = page.get_by_role("form", name="Where nobody could be alerted")
    await form.get_by_label("Day").select_option(label=DAYS[how // 24])
    await form.get_by_label("Hour (UTC)").select_option(value=str(how % 24))
    await form.get_by_label("Show where nobody could be alerted").check()
    status = page.locator("#cover-status")
    await expect(status).to_contain_text(f"{uncovered} of {len(area)} cells have nobody who could be alerted")
    await expect(page.locator("#map path.no-cover")).to_have_count(uncovered)
    await screenshot(page, "console-coverage-desktop", viewport=DESKTOP)
    await assert_accessible(page)

    await form.get_by_label("Place").select_option(label="A home")
    await expect(status).to_contain_text(f"{len(area)} of {len(area)} cells")
    await expect(page.locator("#map path.no-cover")).to_have_count(len(area))
    await form.get_by_label("Show where nobody could be alerted").uncheck()
    await expect(page.locator("#map path.no-cover")).to_have_count(0)
    await sock.close()
    await trust.close()
