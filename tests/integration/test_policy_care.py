"""Policy edits with care, through the public surface: a phase that repeats another is refused by
field and changes nothing, and the responder CSV import takes group names as well as ids."""

from __future__ import annotations

import json

from tests.support.clients import make_trust

PROBLEM = "application/problem+json"


def phase(name, groups, radius_m, delay_s):
    return {"name": name, "groups": groups, "radius_m": radius_m, "delay_s": delay_s}


async def test_a_duplicate_phase_is_refused_naming_the_field_and_nothing_changes(stack):
    trust = await make_trust(stack)
    url = f"/v1/trusts/{trust.id}/policy"
    before = (await trust.admin.get(url)).json()
    twins = {"phases": [phase("first", ["staff", "community"], 500, 0), phase("again", ["community", "staff"], 500, 0)]}
    r = await trust.admin.put(url, json=twins)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    errors = r.json()["errors"]
    assert [e["loc"] for e in errors] == ["phases[1]"]
    assert "same groups, radius and delay as phase 'first'" in errors[0]["msg"]
    assert (await trust.admin.get(url)).json() == before
    # Another delay makes it a phase of its own.
    twins["phases"][1]["delay_s"] = 30
    assert (await trust.admin.put(url, json=twins)).status_code == 200
    await trust.close()


async def test_the_csv_import_takes_group_names_as_well_as_ids(stack):
    trust = await make_trust(stack)  # groups: staff "Staff", community "Community"
    r = await trust.admin.post(
        f"/v1/trusts/{trust.id}/groups", json={"id": "cfr-north", "name": "Community first responders"}
    )
    assert r.status_code == 201
    csv = (
        "id,name,groups\n"
        "amy,Amy,Staff;community first RESPONDERS\n"
        "ben,Ben,staff\n"
        "cat,Cat,Community first responders;cfr-north\n"
        "dan,Dan,Volunteers\n"
    )
    r = await trust.admin.post(
        f"/v1/trusts/{trust.id}/responders/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [(x["id"], x["ok"]) for x in lines[1:-1]] == [("amy", True), ("ben", True), ("cat", True), ("dan", False)]
    assert lines[4]["errors"] == ["unknown groups: Volunteers"]  # neither an id nor a name of the trust's
    made = {x["id"]: x["groups"] for x in (await trust.admin.get(f"/v1/trusts/{trust.id}/responders")).json()}
    assert made == {"amy": ["staff", "cfr-north"], "ben": ["staff"], "cat": ["cfr-north"]}
    await trust.close()


async def test_the_changes_a_save_would_make_are_told_field_by_field_and_nothing_is_saved(stack):
    trust = await make_trust(stack)
    url = f"/v1/trusts/{trust.id}/policy"
    before = (await trust.admin.get(url)).json()
    audit_before = len((await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json())
    draft = {k: v for k, v in before.items() if k not in ("version", "warnings")}
    draft["accept_limit"] = 2
    draft["phases"] = [dict(draft["phases"][0], radius_m=300), draft["phases"][1]]
    draft["phases"].append(phase("late", ["community"], 2000, 60))
    r = await trust.admin.post(f"{url}/changes", json=draft)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == before["version"] and body["warnings"] == []
    changes = body["changes"]
    assert "phase 'trusted' radius 200 → 300 m" in changes
    assert "accept limit 1 → 2" in changes
    assert any(c.startswith("phase 'late' added") and "Community" in c for c in changes), changes
    assert len(changes) == 3
    # Nothing was saved or audited.
    assert (await trust.admin.get(url)).json() == before
    assert len((await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()) == audit_before
    # The same document unchanged: nothing to say. A duplicate phase: refused as a save would be.
    same = await trust.admin.post(f"{url}/changes", json={k: v for k, v in before.items() if k != "version"})
    assert same.status_code == 200 and same.json()["changes"] == []
    draft["phases"].append(phase("again", ["community"], 2000, 60))
    refused = await trust.admin.post(f"{url}/changes", json=draft)
    assert refused.status_code == 422 and [e["loc"] for e in refused.json()["errors"]] == ["phases[3]"]
    await trust.close()
