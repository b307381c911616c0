"""A bystander's alarm held for a dispatcher stays on the console's live map for as long as it
waits, however long that is: nobody is alerted until someone confirms it. Ended incidents, by
contrast, leave the map after `console_ended_keep_s` (here 0: at once)."""

from __future__ import annotations

import pytest

from tests.integration.test_console_api import EventStream
from tests.support.alerters import alerter_policy, make_alerter
from tests.support.clients import CENTRE, make_trust
from tests.support.stack import Stack, Worker, free_port, make_settings


class NoWorker(Worker):
    """The live map's snapshot needs no Celery worker."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.fixture(scope="module")
async def forgetful_stack(pg_url):
    """A deployment whose live map keeps nothing that has stopped changing."""
    settings = make_settings(pg_url, console_ended_keep_s=0)
    s = Stack(settings, free_port(), NoWorker(settings))
    await s.start()
    yield s
    await s.stop()


async def test_an_alarm_awaiting_confirmation_stays_on_the_map_and_an_ended_one_goes(forgetful_stack):
    stack = forgetful_stack
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    token = await make_alerter(stack, trust, "sam", "Sam")
    async with stack.client(token) as phone:
        r = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
    assert r.status_code == 201 and r.json()["status"] == "awaiting_confirmation", r.text
    waiting = r.json()["incident_id"]
    ended = (
        await trust.cad.post(
            "/v1/incidents", json={"cad_ref": "GONE-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        )
    ).json()["id"]
    assert (await trust.cad.post(f"/v1/incidents/{ended}/cancel")).status_code == 200

    ticket = (await trust.admin.post(f"/v1/trusts/{trust.id}/live/tickets")).json()["ticket"]
    async with trust.admin.stream("GET", f"/v1/trusts/{trust.id}/live", params={"ticket": ticket}) as live:
        snapshot = await EventStream(live).next("snapshot")
    shown = {i["id"]: i for i in snapshot["incidents"]}
    assert list(shown) == [waiting], shown
    assert shown[waiting]["status"] == "awaiting_confirmation" and shown[waiting]["ended"] is False
    await trust.close()
