"""Bad input gets the right problem+json status and stores nothing."""

from __future__ import annotations

import pytest

from tests.support.clients import CENTRE, make_trust

GOOD = {"cad_ref": "BAD-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and "type" in body
    return body


@pytest.fixture
async def trust(stack):
    t = await make_trust(stack)
    yield t
    await t.close()


@pytest.mark.parametrize(
    "change",
    [
        {"lat": None},
        {"lon": None},
        {"lat": 91.0},
        {"lat": -90.5},
        {"lon": 180.5},
        {"lon": -181},
        {"lat": "north"},
        {"cad_ref": ""},
        {"category": None},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
async def test_bad_incident_is_refused_and_stores_nothing(stack, trust, change):
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    assert_problem(await trust.cad.post("/v1/incidents", json=body), 422)
    # Nothing was stored: the same cad_ref, sent properly, creates the incident (201, not a replay).
    assert (await trust.cad.post("/v1/incidents", json=GOOD)).status_code == 201


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_coordinates_are_refused(stack, trust, literal):
    raw = f'{{"cad_ref": "NAN-1", "lat": {literal}, "lon": -1.55, "category": "09-E-01"}}'
    r = await trust.cad.post("/v1/incidents", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code)
    assert (await trust.cad.post("/v1/incidents", json={**GOOD, "cad_ref": "NAN-1"})).status_code == 201


async def test_malformed_json_is_a_400(stack, trust):
    r = await trust.cad.post("/v1/incidents", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(r, 400 if r.status_code == 400 else 422)


async def test_wrong_or_missing_key_is_a_401(stack):
    async with stack.client("cad_not-a-real-key") as wrong, stack.client() as nobody:
        assert_problem(await wrong.post("/v1/incidents", json=GOOD), 401)
        assert_problem(await nobody.post("/v1/incidents", json=GOOD), 401)


async def test_unknown_trust_is_a_404(stack, trust):
    assert_problem(await trust.admin.get("/v1/trusts/no-such-trust/policy"), 404)
    async with stack.client(stack.settings.operator_token) as op:
        assert_problem(await op.get("/v1/trusts/no-such-trust/policy"), 404)


async def test_another_trusts_incident_is_a_404_and_unchanged(stack, trust):
    other = await make_trust(stack)
    try:
        created = await trust.cad.post("/v1/incidents", json={**GOOD, "cad_ref": "MINE-1"})
        incident = created.json()["id"]
        assert_problem(await other.cad.get(f"/v1/incidents/{incident}"), 404)
        assert_problem(await other.cad.post(f"/v1/incidents/{incident}/cancel", json={"reason": "x"}), 404)
        assert_problem(await other.admin.get(f"/v1/trusts/{trust.id}/policy"), 404)
        assert (await trust.cad.get(f"/v1/incidents/{incident}")).json()["status"] == "alerting"
    finally:
        await other.close()


async def test_incident_outside_the_service_area_is_refused_saying_so(stack, trust):
    body = assert_problem(
        await trust.cad.post("/v1/incidents", json={**GOOD, "cad_ref": "FAR-1", "lat": 51.5, "lon": -0.12}), 422
    )
    assert "area" in body["detail"].lower()


async def test_invalid_policy_is_refused_and_the_old_one_stays(stack, trust):
    before = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    body = assert_problem(await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json={"phases": []}), 422)
    assert body.get("errors") or "phases" in body["detail"]
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json() == before
