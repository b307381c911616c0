"""The alerter page dials the trust's emergency number in the same tap that raises the alert, so it
learns the number beforehand, from whoami."""

from __future__ import annotations

from tests.support.alerters import alerter_policy, make_alerter
from tests.support.clients import make_trust


async def test_whoami_tells_an_alerter_the_number_their_phone_calls(stack):
    trust = await make_trust(stack, policy=alerter_policy(emergency_number="112"))
    token = await make_alerter(stack, trust, "eve", "Eve Passer")
    async with stack.client(token) as phone:
        me = (await phone.get("/v1/whoami")).json()
    assert me["kind"] == "alerter" and me["alerter_id"] == "eve" and me["name"] == "Eve Passer"
    assert me["emergency_number"] == "112"
    await trust.close()


async def test_a_trust_without_the_section_answers_the_default_number(stack):
    trust = await make_trust(stack)
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/alerters", json={"id": "ned", "name": "Ned"})
    assert r.status_code == 201, r.text
    code = (await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/ned/invites")).json()["code"]
    async with stack.client() as phone:
        token = (await phone.post("/v1/invites/redeem", json={"code": code})).json()["token"]
    async with stack.client(token) as phone:
        assert (await phone.get("/v1/whoami")).json()["emergency_number"] == "999"
    await trust.close()
