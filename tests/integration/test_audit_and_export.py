"""`python -m alerting audit verify` catches edited and deleted rows; an incident exports as JSON."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from alerting.store import audit
from alerting.store.db import create_engine, session_factory
from alerting.store.migrate import upgrade
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.stack import ROOT, env_for, make_settings


@pytest.fixture
async def audited_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        for i in range(5):
            await audit.append(
                session,
                at=datetime(2026, 1, 1, 0, i, tzinfo=UTC),
                actor="admin:t1:k",
                action="policy.update",
                trust_id="t1",
                target="policy",
                before={"v": i},
                after={"v": i + 1},
            )
    yield url, engine
    await engine.dispose()


def _verify(url: str) -> subprocess.CompletedProcess:
    env = env_for(make_settings(url))
    return subprocess.run(
        [sys.executable, "-m", "alerting", "audit", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _sql(engine, statement: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(statement))


async def test_verify_passes_on_an_untouched_log(audited_db):
    url, _ = audited_db
    run = await asyncio.to_thread(_verify, url)
    assert run.returncode == 0 and "audit log intact" in run.stdout


async def test_verify_fails_when_a_row_is_edited(audited_db):
    url, engine = audited_db
    await _sql(engine, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 3")
    run = await asyncio.to_thread(_verify, url)
    assert run.returncode == 1
    assert "entry 3: contents do not match its hash (edited)" in run.stdout


async def test_verify_fails_when_a_row_is_deleted(audited_db):
    url, engine = audited_db
    await _sql(engine, "DELETE FROM audit_log WHERE id = 2")
    run = await asyncio.to_thread(_verify, url)
    assert run.returncode == 1 and "entry 3: chain broken" in run.stdout


async def test_an_incident_exports_with_its_timeline_webhooks_and_the_audit_of_the_export(stack):
    trust = await make_trust(stack)
    token = await trust.responder("r1", ["staff"])
    async with stack.client(token) as me:
        await me.put("/v1/me/location", json={"lat": north_of(CENTRE, 50)[0], "lon": CENTRE[1]})
    created = (
        await trust.cad.post(
            "/v1/incidents",
            json={
                "cad_ref": "EXPORT-1",
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": "09-E-01",
                "location_type": "public",
                "callback_url": "http://127.0.0.1:9/hook",
            },
        )
    ).json()
    r = await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{created['id']}/export")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["format"] == "alerting.incident-export/1"
    assert doc["incident"]["id"] == created["id"] and doc["incident"]["cad_ref"] == "EXPORT-1"
    assert [x["id"] for x in doc["incident"]["responders"]] == ["r1"]
    assert "phase_fired" in [t["event"] for t in doc["timeline"]]
    assert [w["event"] for w in doc["webhooks"]][:1] == ["incident.alerting"]
    assert [(a["action"], a["actor"]["kind"]) for a in doc["audit"]] == [("incident.export", "admin_key")]
    assert trust.admin_key not in r.text and trust.cad_key not in r.text
    other = await make_trust(stack)
    assert (await other.admin.get(f"/v1/trusts/{trust.id}/incidents/{created['id']}/export")).status_code == 404
    assert (await other.admin.get(f"/v1/trusts/{other.id}/incidents/{created['id']}/export")).status_code == 404
    await trust.close()
    await other.close()
