"""A release that changes the live index's layout keeps responders searchable: an API process that
starts adopts what the previous layout holds, before it serves."""

from __future__ import annotations

import time

from alerting.app import create_app
from tests.support.clients import CENTRE, make_trust, north_of


async def test_an_api_process_that_starts_brings_the_previous_layouts_responders_over(stack):
    trust = await make_trust(stack)
    await trust.responder("a", ["staff"])  # registered by this version: a profile, no position yet
    await trust.responder("b", ["staff"])
    old = f"{stack.settings.redis_prefix}{{t:{trust.id}}}:ix:"
    near, far = north_of(CENTRE, 60), north_of(CENTRE, 90)
    # What the version before wrote while their phones reported, in its format.
    await stack.redis.hset(old + "prof", mapping={"a": "1|1|staff", "b": "1|1|staff"})
    await stack.redis.hset(
        old + "pos", mapping={"a": f"{near[0]!r} {near[1]!r} {time.time()!r} 8.0", "b": f"{far[0]!r} {far[1]!r} 0.0 -"}
    )

    app = create_app(stack.settings)  # a process of the new version starting
    async with app.router.lifespan_context(app):
        pass
    assert await stack.redis.exists(old + "prof", old + "pos") == 0

    created = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "UP-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert created.status_code == 201, created.text
    responders = (await trust.cad.get(f"/v1/incidents/{created.json()['id']}")).json()["responders"]
    assert [r["id"] for r in responders] == ["a"]  # b's position was decades old: it ages out as before
    await trust.close()
