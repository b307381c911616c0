"""The audit names people and reads like a record: actor {kind, id, name}, changes in words,
filters by person, action and date, and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests.support.clients import TWO_PHASES, make_trust
from tests.support.staff import signed_in

ZONE = {
    "name": "rural north",
    "area": {
        "type": "Polygon",
        "coordinates": [[[-1.60, 53.75], [-1.50, 53.75], [-1.50, 53.85], [-1.60, 53.85], [-1.60, 53.75]]],
    },
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 3000, "delay_s": 0}],
}


async def test_a_policy_change_by_a_person_reads_as_their_name_and_the_fields_changed(stack):
    trust = await make_trust(stack)
    editor = await signed_in(stack, trust, roles=["policy"], name="Priya Shah")
    changed = {**TWO_PHASES, "phases": [{**TWO_PHASES["phases"][0], "radius_m": 300}, TWO_PHASES["phases"][1]]}
    r = await editor.http.put(f"/v1/trusts/{trust.id}/policy", json={**changed, "zones": [ZONE]})
    assert r.status_code == 200, r.text
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "policy.update"})).json()
    entry = audit[0]
    assert entry["actor"] == {"kind": "staff", "id": editor.id, "name": "Priya Shah"}
    assert "phase 'trusted' radius 200 → 300 m" in entry["changes"]
    assert "zone 'rural north' added" in entry["changes"]
    # the API key's own change names the key, not a person
    assert audit[-1]["actor"]["kind"] == "admin_key" and audit[-1]["actor"]["name"].startswith("API key")
    # renaming the person later does not rewrite what they did
    await trust.admin.patch(f"/v1/trusts/{trust.id}/staff/{editor.id}", json={"name": "Priya Shah-Jones"})
    again = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "policy.update"})).json()
    assert again[0]["actor"]["name"] == "Priya Shah"
    await editor.close()
    await trust.close()


async def test_filters_by_person_action_and_date_and_csv(stack):
    trust = await make_trust(stack)
    a = await signed_in(stack, trust, roles=["policy"], name="Alex Hart")
    b = await signed_in(stack, trust, roles=["policy"], name="Bo Lind")
    await a.http.put(f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, "accept_limit": 2})
    await b.http.put(f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, "accept_limit": 3})
    base = f"/v1/trusts/{trust.id}/audit"
    mine = (await trust.admin.get(base, params={"staff_id": a.id})).json()
    assert {e["actor"]["name"] for e in mine} == {"Alex Hart"}
    assert [e["action"] for e in mine] == ["policy.update", "staff.sign_in", "staff.password_set"]
    assert (await trust.admin.get(base, params={"staff_id": b.id, "action": "policy."})).json()[0]["changes"] == [
        "accept limit 2 → 3"
    ]
    keys = (await trust.admin.get(base, params={"actor_kind": "admin_key"})).json()
    assert keys and {e["actor"]["kind"] for e in keys} == {"admin_key"}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await trust.admin.get(base, params={"from": future})).json() == []
    assert len((await trust.admin.get(base, params={"to": future})).json()) == len((await trust.admin.get(base)).json())
    bad = await trust.admin.get(base, params={"from": "yesterday"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    r = await trust.admin.get(base, params={"staff_id": b.id}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["who"] == "Bo Lind" and rows[0]["changes"] == "accept limit 2 → 3"
    await a.close()
    await b.close()
    await trust.close()
