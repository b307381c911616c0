"""Schemathesis over the served OpenAPI, once per credential kind: no 5xx, and every documented
response matches its schema. Bounded (a few examples per operation) so it runs in minutes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clients import CENTRE, make_trust
from tests.support.procs_faults import ApiProcess
from tests.support.stack import make_settings

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _fuzz(base_url: str, token: str | None, workdir: Path) -> subprocess.CompletedProcess:
    args = [
        str(SCHEMATHESIS),
        "run",
        f"{base_url}/openapi.json",
        "--url",
        base_url,
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "8",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
    ]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    # Run in a scratch directory: schemathesis keeps a cache of crashes where it runs.
    return subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=workdir)


async def test_every_credential_kind_fuzzes_clean(pg_url, tmp_path):
    settings = make_settings(pg_url)
    api = ApiProcess(settings)
    await api.start()
    try:
        a, b = await make_trust(api), await make_trust(api)
        tokens = {
            "none": None,
            "operator": settings.operator_token,
            "admin_a": a.admin_key,
            "cad_a": a.cad_key,
            "responder_a": await a.responder("r1", ["staff"]),
            "admin_b": b.admin_key,
            "cad_b": b.cad_key,
            "responder_b": await b.responder("r1", ["staff"]),
        }
        async with api.client(tokens["responder_a"]) as me:
            await me.put("/v1/me/location", json={"lat": CENTRE[0], "lon": CENTRE[1]})
        await a.cad.post(
            "/v1/incidents",
            json={
                "cad_ref": "FUZZ-1",
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": "09-E-01",
                "location_type": "public",
            },
        )
        failures = []
        for kind, token in tokens.items():
            run = await asyncio.to_thread(_fuzz, api.base_url, token, tmp_path)
            if run.returncode != 0:
                failures.append(f"--- {kind} (exit {run.returncode})\n{run.stdout[-4000:]}\n{run.stderr[-1000:]}")
        assert failures == [], "\n".join(failures)
        await a.close()
        await b.close()
    finally:
        api.stop()
