"""Each API process remembers its trusts' newest policy version (services/policy_cache.py), yet a
policy saved through one process governs the very next incident reported through the other."""

from __future__ import annotations

import pytest

from tests.support.clients import CENTRE, TWO_PHASES, make_trust

pytestmark = pytest.mark.e2e


async def test_a_policy_saved_on_one_node_governs_the_next_incident_on_the_other(two_nodes):
    n0, n1 = two_nodes.nodes
    trust = await make_trust(two_nodes)
    report = {"lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}
    async with n1.client(trust.cad_key) as cad, n0.client(trust.admin_key) as admin:
        versions = []
        for limit in (1, 2, 3):  # what the incident takes from its policy, whether or not a phase fires
            r = await admin.put(f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, "accept_limit": limit})
            assert r.status_code == 200, r.text
            for j in range(2):  # the second report of each runs on what n1 remembers
                r = await cad.post("/v1/incidents", json={**report, "cad_ref": f"PCN-{limit}-{j}"})
                assert r.status_code == 201, r.text
                seen = (await cad.get(f"/v1/incidents/{r.json()['id']}")).json()
                assert seen["accept_limit"] == limit, (limit, j, seen["accept_limit"])
                versions.append(seen["policy_version"])
        assert versions == sorted(versions) and len(set(versions)) == 3
    await trust.close()
