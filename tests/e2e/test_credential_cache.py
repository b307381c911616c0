"""Each API process remembers who a token belongs to (services/credential_cache.py), yet a change
made through any process takes effect on every other one at once: a suspended responder's token,
a CAD key rotated with no grace."""

from __future__ import annotations

import pytest

from tests.support.clients import make_trust

pytestmark = pytest.mark.e2e


async def test_a_change_on_one_node_is_honoured_at_once_on_the_other(two_nodes):
    n0, n1 = two_nodes.nodes
    trust = await make_trust(two_nodes)
    token = await trust.responder("r1", ["staff"])
    async with n1.client(token) as me, n1.client(trust.cad_key) as cad, n0.client(trust.admin_key) as admin:
        for _ in range(2):  # the second answer comes from what n1 remembers
            assert (await me.get("/v1/me/alerts")).status_code == 200
            assert (await cad.get("/v1/nearby", params={"lat": 53.8, "lon": -1.55})).status_code == 200

        r = await admin.patch(f"/v1/trusts/{trust.id}/responders/r1", json={"status": "suspended"})
        assert r.status_code == 200, r.text
        assert (await me.get("/v1/me/alerts")).status_code == 401
        r = await admin.patch(f"/v1/trusts/{trust.id}/responders/r1", json={"status": "active"})
        assert r.status_code == 200, r.text
        assert (await me.get("/v1/me/alerts")).status_code == 200  # a refusal is never remembered

        r = await admin.post(f"/v1/trusts/{trust.id}/keys/rotate", json={"grace_s": 0})
        assert r.status_code == 200, r.text
        assert (await cad.get("/v1/nearby", params={"lat": 53.8, "lon": -1.55})).status_code == 401
        async with n1.client(r.json()["cad_key"]) as new_cad:
            assert (await new_cad.get("/v1/nearby", params={"lat": 53.8, "lon": -1.55})).status_code == 200
    await trust.close()
