"""Each API process remembers its trusts' newest policy version (services/policy_cache.py), yet an
incident reported after a policy change has committed always runs under the new policy, even when
the process has not heard of the change (a late or lost message): the incident's INSERT checks."""

from __future__ import annotations

from tests.support.clients import CENTRE, TWO_PHASES, make_trust

ONE_PHASE = {**TWO_PHASES, "phases": [{"name": "everyone", "groups": ["staff"], "radius_m": 500, "delay_s": 0}]}
ONE_PHASE["accept_limit"] = 3


def _report(cad_ref: str) -> dict:
    return {"cad_ref": cad_ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}


async def _posted(trust, cad_ref: str) -> dict:
    r = await trust.cad.post("/v1/incidents", json=_report(cad_ref))
    assert r.status_code == 201, r.text
    return (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()


async def test_the_next_incident_after_a_change_runs_under_it(any_stack):
    trust = await make_trust(any_stack)
    first = await _posted(trust, "PC-1")
    assert first["accept_limit"] == 1

    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=ONE_PHASE)
    assert r.status_code == 200, r.text
    second = await _posted(trust, "PC-2")
    assert second["policy_version"] == first["policy_version"] + 1
    assert second["accept_limit"] == 3  # what the incident takes from its policy, whether or not a phase fires
    await trust.close()


async def test_a_change_this_process_has_not_heard_of_is_still_honoured(stack):
    """As if another process had saved the policy and its message had not arrived here yet."""
    services = stack.server.config.app.state.services
    trust = await make_trust(stack)
    first = await _posted(trust, "PC-STALE-1")
    assert services.policies.get(trust.id) == (True, first["policy_version"])  # remembered from that report

    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=ONE_PHASE)
    assert r.status_code == 200, r.text
    assert services.policies.get(trust.id) == (False, None)  # this process's own change empties it at once
    services.policies.put(trust.id, first["policy_version"], read_at=services.policies.generation)  # the stale guess

    second = await _posted(trust, "PC-STALE-2")
    assert second["policy_version"] == first["policy_version"] + 1
    assert second["accept_limit"] == 3  # what the incident takes from its policy, whether or not a phase fires
    third = await _posted(trust, "PC-STALE-3")  # and the newest is what is remembered from then on
    assert third["policy_version"] == second["policy_version"]
    assert services.policies.get(trust.id) == (True, second["policy_version"])
    await trust.close()
