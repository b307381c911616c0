"""CAD credentials: key rotation with a grace period, per-key rate limits, and the body size limit.

These run on a deployment of their own (tight limits, a clock the test moves) so the shared stack
keeps its defaults; no worker is needed because nothing here waits for a timer.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from alerting.services.context import Services
from alerting.store.models import Credential
from tests.support.clients import CENTRE, make_trust
from tests.support.stack import Stack, free_port, make_settings


class NoWorker:
    def start(self) -> None: ...
    def stop(self) -> None: ...


class Clock:
    """The time the test began, plus an offset the test moves forward: it stands still in
    between, so "599 s after the rotation" stays before the grace period ends however long the
    machine takes to answer."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._start = float(int(time.time()))  # whole seconds, so moving it by 1.0 is exactly 1.0

    def __call__(self) -> float:
        return self._start + self.offset


@pytest.fixture(scope="module")
async def limited(pg_url):
    settings = make_settings(
        pg_url,
        rate_limits_enabled=True,
        rate_limit_cad_per_s=1.0,
        rate_limit_cad_burst=3,
        cad_key_grace_s=600,
        max_body_bytes=64 * 1024,
    )
    s = Stack(settings, free_port(), NoWorker())
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
def clock(limited):
    services: Services = limited.server.config.app.state.services
    original, services.clock = services.clock, Clock()
    yield services.clock
    services.clock = original


def incident(cad_ref: str) -> dict:
    return {"cad_ref": cad_ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}


async def test_old_key_works_during_the_grace_period_and_not_after(limited, clock):
    trust = await make_trust(limited)
    old = trust.cad
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/keys/rotate")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["grace_s"] == 600 and body["previous_keys_expire_at"]
    new = limited.client(body["cad_key"])
    assert (await new.post("/v1/incidents", json=incident("ROT-1"))).status_code == 201
    assert (await old.get("/v1/incidents/nope")).status_code == 404  # authenticated, just no such incident

    clock.offset = 599
    assert (await old.post("/v1/incidents", json=incident("ROT-2"))).status_code == 201
    clock.offset = 601
    refused = await old.post("/v1/incidents", json=incident("ROT-3"))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await new.post("/v1/incidents", json=incident("ROT-3"))).status_code == 201
    await new.aclose()
    await trust.close()


async def test_rotation_is_admin_only_audited_and_never_shows_a_key(limited, clock):
    trust, other = await make_trust(limited), await make_trust(limited)
    path = f"/v1/trusts/{trust.id}/keys/rotate"
    assert (await trust.cad.post(path)).status_code == 404
    assert (await other.admin.post(path)).status_code == 404
    assert (await limited.client().post(path)).status_code == 401
    bad = await trust.admin.post(path, json={"grace_s": -1})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    clock.offset = 30 * 86_400  # none of the refused calls expired the current key
    assert (await trust.cad.get("/v1/incidents/nope")).status_code == 404
    clock.offset = 0

    r = await trust.admin.post(path, json={"grace_s": 0})
    assert r.status_code == 200
    new_key = r.json()["cad_key"]
    assert (await trust.cad.get("/v1/incidents/nope")).status_code == 401  # no grace asked: gone at once
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()
    rotation = next(a for a in audit if a["action"] == "cad_key.rotate")
    assert rotation["after"]["grace_s"] == 0 and rotation["actor"]["kind"] == "admin_key"
    assert new_key not in str(audit) and trust.cad_key not in str(audit)
    await trust.close()
    await other.close()


async def test_cad_keys_are_stored_hashed_and_the_signing_copy_encrypted(limited):
    trust = await make_trust(limited)
    services: Services = limited.server.config.app.state.services
    async with services.sessions() as session:
        rows = (await session.execute(select(Credential).where(Credential.trust_id == trust.id))).scalars().all()
    stored = " ".join(f"{c.token_hash} {c.secret_enc}" for c in rows)
    assert trust.cad_key not in stored and trust.admin_key not in stored
    cad = [c for c in rows if c.kind == "cad"]
    assert len(cad) == 1 and cad[0].secret_enc and cad[0].secret_enc.startswith("gAAAA")  # a Fernet token
    assert [c.secret_enc for c in rows if c.kind == "admin"] == [None]
    await trust.close()


async def test_each_key_has_its_own_bucket_and_429_says_when_to_retry(limited, clock):
    a, b = await make_trust(limited), await make_trust(limited)
    query = {"lat": CENTRE[0], "lon": CENTRE[1]}
    clock.offset = 1000  # a fresh second, whatever the tests before used
    for _ in range(3):
        assert (await a.cad.get("/v1/nearby", params=query)).status_code == 200
    limited_r = await a.cad.get("/v1/nearby", params=query)
    assert limited_r.status_code == 429
    assert limited_r.headers["content-type"] == "application/problem+json"
    assert limited_r.headers["retry-after"] == "1"
    assert "1 requests per second" in limited_r.json()["detail"]
    # A refused post changes nothing: the same cad_ref is new once the bucket refills.
    assert (await a.cad.post("/v1/incidents", json=incident("RL-1"))).status_code == 429
    assert (await b.cad.get("/v1/nearby", params=query)).status_code == 200  # another key, another bucket
    assert (await a.admin.get(f"/v1/trusts/{a.id}/groups")).status_code == 200  # the admin key is not the CAD's
    clock.offset += 1.0
    assert (await a.cad.post("/v1/incidents", json=incident("RL-1"))).status_code == 201
    await a.close()
    await b.close()


async def test_a_body_over_the_limit_is_refused_with_413_and_changes_nothing(limited, clock):
    trust = await make_trust(limited)
    huge = {**incident("BIG-1"), "notes": "x" * (2 * 1024 * 1024)}
    r = await trust.cad.post("/v1/incidents", json=huge)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 413 and "65536 bytes" in r.json()["detail"]

    async def chunks():  # no Content-Length: the limit must hold while the body streams in
        yield b'{"cad_ref": "BIG-1", "notes": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    streamed = await trust.cad.post("/v1/incidents", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.headers["content-type"] == "application/problem+json"
    assert (await trust.cad.post("/v1/incidents", json=incident("BIG-1"))).status_code == 201  # never stored before
    await trust.close()
