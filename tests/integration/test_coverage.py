"""Where there is no cover (`GET /v1/trusts/{trust}/coverage`): from the density history, the cells
of the trust's area where the current policy could alert nobody at an hour of the week."""

from __future__ import annotations

import h3

from alerting.replay.history import hour_of_week
from alerting.services import density
from alerting.services.context import build_services
from geo.hexgrid import cell_of, cells_in_area
from tests.support.clients import AREA, CENTRE, make_trust, north_of, online


async def test_the_cells_nobody_could_be_alerted_in_are_those_out_of_every_phase_s_reach(stack):
    trust = await make_trust(stack)  # trusted 200 m (staff), then 1000 m (staff, community)
    await trust.responder("cm0", ["community"])  # a public-places-only group
    where = north_of(CENTRE, 80)
    sock = await online(stack, trust, "cm0", where)
    services = build_services(stack.settings)
    try:
        now = services.clock()
        assert await density.record_trust(services, trust_id=trust.id, now=now) == 1
    finally:
        await services.aclose()
    how = hour_of_week(now)
    url = f"/v1/trusts/{trust.id}/coverage"

    r = await trust.admin.get(url, params={"hour_of_week": how})
    assert r.status_code == 200, r.text
    body = r.json()
    area = set(cells_in_area(AREA))
    # The 1000 m phase averages density over the cell and its ring of neighbours: those cells have cover.
    reached = set(h3.grid_disk(cell_of(*where), 1)) & area
    assert (body["cells"], body["uncovered"], body["snapshots"]) == (len(area), len(area) - len(reached), 1)
    assert {f["id"] for f in body["features"]} == area - reached
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Polygon" and len(feature["geometry"]["coordinates"][0]) == 7
    assert body["policy_version"] == 1 and body["hour_of_week"] == how
    assert "cm0" not in r.text and f"{where[0]:.5f}" not in r.text  # counts only, never a person or a place

    # In a home the community group may not go: nobody anywhere.
    r = await trust.admin.get(url, params={"hour_of_week": how, "location_type": "private"})
    assert r.json()["uncovered"] == len(area)

    for params in ({"hour_of_week": 168}, {"hour_of_week": -1}, {"location_type": "garden"}):
        r = await trust.admin.get(url, params=params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text

    # A trust with no history yet: every cell is without cover, and it says how many snapshots it had.
    fresh = await make_trust(stack)
    body = (await fresh.admin.get(f"/v1/trusts/{fresh.id}/coverage", params={"hour_of_week": 0})).json()
    assert (body["uncovered"], body["snapshots"]) == (len(area), 0)
    assert (await fresh.admin.get(url)).status_code == 404  # not theirs
    await sock.close()
    await fresh.close()
    await trust.close()
