"""Property: whatever the API accepts (policies, responder records, CSV rows), the next incident is
never answered with a server error.

Hypothesis drives a synchronous client in a thread so the server, which runs in the test's event
loop, keeps serving while examples are generated and shrunk.
"""

from __future__ import annotations

import asyncio
import itertools

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.clients import CENTRE, make_trust, north_of

NUMBERS = st.one_of(
    st.sampled_from([0, 1, 5, 10, 600, 20_000, 86_400, 86_401, 10_000, 10_001, 1e12, -1, 0.5]),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)
GROUPS = st.lists(st.sampled_from(["staff", "community", "ghost"]), max_size=3)
TEXT = st.text(max_size=12)
PHASE = st.fixed_dictionaries(
    {"name": TEXT, "groups": GROUPS, "radius_m": NUMBERS, "delay_s": NUMBERS},
    optional={"max_alerts": NUMBERS},
)
POLICY = st.fixed_dictionaries(
    {"phases": st.lists(PHASE, max_size=3)},
    optional={
        "accept_limit": NUMBERS,
        "alert_ttl_s": NUMBERS,
        "location_max_age_s": NUMBERS,
        "max_alerts_per_hour": NUMBERS,
        "ack_timeout_s": NUMBERS,
        "categories": st.lists(st.sampled_from(["*", "09-E-*", "", "\x00"]), max_size=2),
    },
)
ZONE_NAMES = st.one_of(
    st.sampled_from(["Europe/London", "UTC", "Mars/Olympus", "", "../../etc/passwd", "Europe/Lond\x00on", "EST5EDT"]),
    TEXT,
)
CLOCK = st.sampled_from(["00:00", "23:59", "07:00", "24:00", "7:00", "x"])
QUIET = st.one_of(st.none(), st.fixed_dictionaries({"start": CLOCK, "end": CLOCK}, optional={"tz": ZONE_NAMES}))
RECORD = st.fixed_dictionaries(
    {"name": TEXT, "groups": GROUPS, "skills": st.lists(TEXT, max_size=3)}, optional={"quiet_hours": QUIET}
)
CSV_CELL = st.one_of(st.sampled_from(["staff", "community", "é"]), st.text(alphabet='ab ,;"\n\x00\r', max_size=10))


def _csv(rows: list[tuple[str, str, str]], prefix: str) -> bytes:
    lines = ["id,name,groups,skills"] + [
        f"{prefix}{i},{name},staff;{groups},{skills}" for i, (name, groups, skills) in enumerate(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _check(r: httpx.Response) -> httpx.Response:
    assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text)
    return r


async def test_whatever_the_api_accepts_the_next_incident_post_never_fails(stack):
    trust = await make_trust(stack)
    admin_key, cad_key, trust_id, base = trust.admin_key, trust.cad_key, trust.id, stack.base_url
    await trust.close()
    serial = itertools.count()

    def run() -> None:
        with (
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30) as admin,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {cad_key}"}, timeout=30) as cad,
        ):

            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(
                policy=POLICY,
                record=RECORD,
                patch=RECORD,
                rows=st.lists(st.tuples(CSV_CELL, CSV_CELL, CSV_CELL), max_size=3),
            )
            def example(policy, record, patch, rows) -> None:
                n = next(serial)
                rid = f"p{n}"
                responders = f"/v1/trusts/{trust_id}/responders"
                created = _check(admin.post(responders, json={"id": rid, **record}))
                if created.status_code == 201:
                    token = _check(admin.post(f"{responders}/{rid}/tokens")).json()["token"]
                    me = {"Authorization": f"Bearer {token}"}
                    at = north_of(CENTRE, 20 + n)
                    _check(admin.put("/v1/me/location", json={"lat": at[0], "lon": at[1]}, headers=me))
                    _check(admin.put("/v1/me/availability", json={"available": True}, headers=me))
                    _check(admin.patch(f"{responders}/{rid}", json=patch))
                _check(
                    admin.post(
                        f"{responders}/import", content=_csv(rows, f"c{n}x"), headers={"Content-Type": "text/csv"}
                    )
                )
                _check(admin.put(f"/v1/trusts/{trust_id}/policy", json=policy))
                incident = {"cad_ref": f"PROP-{n}", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
                _check(cad.post("/v1/incidents", json={**incident, "location_type": "public"}))

            example()

    await asyncio.to_thread(run)
