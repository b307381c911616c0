"""Schemathesis over the served OpenAPI document with every check on, against a real API process
(PostgreSQL, Redis): no 5xx, every status, content type, header and body as documented, requests
outside the schema refused, requests inside it accepted, `Allow` and OPTIONS right.

One run per kind of caller, each on the operations that caller uses, with the path parameters of
real records (a trust, a responder, an incident, an alert) so requests reach the validation and
the logic rather than a 404. Bounded (a few examples per operation) so it runs in minutes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.alerters import alerter_policy, make_alerter
from tests.support.clients import CENTRE, make_trust
from tests.support.procs_faults import ApiProcess
from tests.support.stack import make_settings

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ALERTER_PATHS = r"^/v1/alerts/(raise|current)(/messages)?$"
RESPONDER_PATHS = r"^/v1/(me|alerts)(/|$)"
CAD_PATHS = r"^/v1/(nearby|incidents)(/|$)"
ROTATIONS = r"/rotate$"  # they end the keys the other callers use

# Operations whose rules go beyond what a JSON schema can say: a request the schema allows may
# still be refused, with this status, for this reason. Everything else a schema-valid request
# gets must be a success (or a 401/403/404/409/429, which depend on the data, not the shape).
BEYOND_SCHEMA: dict[tuple[str, str], tuple[int, str]] = {
    ("POST", "/v1/trusts"): (422, "the area's rings must be closed and must not cross themselves"),
    ("POST", "/v1/trusts/{trust}/responders"): (422, "the groups must exist"),
    ("PATCH", "/v1/trusts/{trust}/responders/{rid}"): (422, "the groups must exist; a registered BCP 47 language"),
    ("PATCH", "/v1/me"): (422, "a registered BCP 47 language tag"),
    ("POST", "/v1/alerts/{alert_id}/check-in"): (422, "at most one answer per question the trust asks"),
    ("PUT", "/v1/trusts/{trust}/policy"): (422, "the groups must exist; names unique; zones' geometry valid"),
    ("POST", "/v1/trusts/{trust}/policy/changes"): (422, "as PUT /policy"),
    ("POST", "/v1/trusts/{trust}/policy/replay"): (422, "as PUT /policy; a period of at most 366 days"),
    ("GET", "/v1/trusts/{trust}/stats"): (422, "a period that ends after it starts, of at most 400 days"),
    ("PUT", "/v1/trusts/{trust}/policy/zones"): (422, "the KML, KMZ or GeoJSON file is read, not described"),
    ("POST", "/v1/trusts/{trust}/responders/import"): (422, "the CSV file is read, not described"),
    ("PUT", "/v1/trusts/{trust}/aeds"): (422, "each AED's id is unique in the file"),
    ("PUT", "/v1/trusts/{trust}/registration"): (422, "the groups must exist; an open registration needs one"),
    ("POST", "/v1/trusts/{trust}/registrations/{registration_id}/approve"): (422, "the groups must exist"),
    ("PUT", "/v1/trusts/{trust}/sso"): (422, "the issuer must answer with an OpenID discovery document"),
    ("GET", "/v1/auth/sso/callback"): (400, "the state is single use and issued by the sign-in that started"),
    ("POST", "/v1/me/credentials"): (415, "the file is recognised by its content: PDF, JPEG or PNG"),
    ("POST", "/v1/registrations/{registration_id}/credentials"): (415, "as POST /v1/me/credentials"),
    ("PUT", "/v1/me/push-subscription"): (422, "an http endpoint only where the deployment allows it"),
    ("POST", "/v1/incidents"): (422, "EIDO and CAP documents are mapped, not described; the point inside the area"),
    ("PATCH", "/v1/incidents/{incident_id}"): (422, "the point inside the trust's area"),
    ("POST", "/v1/alerts/raise"): (422, "the point inside the trust's area"),
    ("PATCH", "/v1/trusts/{trust}"): (422, "the address is checked as a CAD's callback_url is (no private hosts)"),
}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's own default


@dataclass
class Caller:
    name: str
    token: str | None
    parameters: dict[str, str] = field(default_factory=dict)
    include_path: str | None = None
    exclude_path: str | None = None
    operation_ids: list[str] = field(default_factory=list)
    phases: str = "examples,coverage,fuzzing,stateful"
    examples: int = EXAMPLES


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string or list of strings is a TOML one too


def _config(caller: Caller) -> str:
    lines = [
        # Every path is also asked OPTIONS (the Allow it answers) and a method no route serves (405
        # with Allow); the other undeclared methods take the same branch of the router.
        "[phases.coverage]",
        'unexpected-methods = ["OPTIONS", "TRACE"]',
        "generate-duplicate-query-parameters = false",
        "[parameters]",
        *(f"{_toml(f'path.{k}')} = {_toml(v)}" for k, v in caller.parameters.items()),
    ]
    for (method, path), (status, _why) in BEYOND_SCHEMA.items():
        lines += [
            "[[operations]]",
            f"include-name = {_toml(f'{method} {path}')}",  # one filter: method and path together
            f"checks.positive_data_acceptance.expected-statuses = {_toml([*ACCEPTED, str(status)])}",
        ]
    return "\n".join(lines) + "\n"


def _fuzz(base_url: str, caller: Caller, workdir: Path) -> subprocess.CompletedProcess:
    scratch = workdir / caller.name  # schemathesis keeps a cache of crashes where it runs
    scratch.mkdir()
    config = scratch / "schemathesis.toml"
    config.write_text(_config(caller))
    args = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--url",
        base_url,
        "--checks",
        "all",
        "--phases",
        caller.phases,
        "--max-examples",
        str(caller.examples),
        "--seed",
        "8",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
        "--no-color",
    ]
    if caller.include_path:
        args += ["--include-path-regex", caller.include_path]
    if caller.exclude_path:
        args += ["--exclude-path-regex", caller.exclude_path]
    for operation_id in caller.operation_ids:
        args += ["--include-operation-id", operation_id]
    if caller.token:
        args += ["-H", f"Authorization: Bearer {caller.token}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=scratch)


async def test_every_kind_of_caller_fuzzes_clean(pg_url, tmp_path):
    settings = make_settings(pg_url)
    # The fuzzer sends thousands of requests through one key: the limits would answer most of them.
    api = ApiProcess(settings, extra_env={"ALERTING_RATE_LIMITS_ENABLED": "false"})
    await api.start()
    try:
        a = await make_trust(api, policy=alerter_policy(mode="confirm", max_per_day=100))
        responder = await a.responder("r1", ["staff"])
        alerter = await make_alerter(api, a, "al1")
        async with api.client(responder) as me:
            assert (await me.put("/v1/me/location", json={"lat": CENTRE[0], "lon": CENTRE[1]})).status_code == 204
            incident = await a.cad.post(
                "/v1/incidents",
                json={"cad_ref": "FUZZ-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"},
            )
            assert incident.status_code == 201, incident.text
            alerts = (await me.get("/v1/me/alerts")).json()
        assert alerts, "the responder at the incident is alerted"
        ids = {
            "trust": a.id,
            "rid": "r1",
            "incident_id": incident.json()["id"],
            "alert_id": alerts[0]["alert_id"],
            "alerter_id": "al1",
        }
        opened = await a.admin.put(f"/v1/trusts/{a.id}/registration", json={"open": True, "groups": ["staff"]})
        assert opened.status_code == 200, opened.text
        async with api.client() as anyone:
            document = (await anyone.get("/openapi.json")).json()
            application = await anyone.post(f"/v1/trusts/{a.id}/registrations", json={"name": "Applicant"})
            assert application.status_code == 201, application.text
        ids["registration_id"] = application.json()["id"]
        # Without a credential, every other operation answers 401 before it reads anything (the
        # authorisation matrix asks each of them).
        public = [
            op["operationId"] for ops in document["paths"].values() for op in ops.values() if "security" not in op
        ]
        # Ordered so that what one caller may do (rotate a key, erase the responder) comes after the
        # callers it would lock out.
        callers = [
            Caller("no credential", None, ids, operation_ids=public),
            Caller("responder", responder, ids, include_path=RESPONDER_PATHS, exclude_path=ALERTER_PATHS),
            Caller("alerter", alerter, ids, include_path=ALERTER_PATHS),
            Caller("CAD key", a.cad_key, ids, include_path=CAD_PATHS),
            Caller("upload token", application.json()["upload_token"], ids, include_path="^/v1/registrations/"),
            # The trust routes are most of the API and their bodies the largest: the coverage phase
            # (every boundary of every field) would take minutes here, so they get more random
            # examples instead, valid and invalid alike.
            Caller(
                "trust admin key",
                a.admin_key,
                ids,
                exclude_path=f"{RESPONDER_PATHS}|{CAD_PATHS}|{ROTATIONS}|^/v1/registrations/|{ALERTER_PATHS}",
                phases="examples,fuzzing,stateful",
                examples=3 * EXAMPLES,
            ),
            Caller("operator", settings.operator_token, ids, include_path=f"^/v1/trusts$|{ROTATIONS}"),
        ]
        failures = []
        for caller in callers:
            run = await asyncio.to_thread(_fuzz, api.base_url, caller, tmp_path)
            if run.returncode != 0:
                failures.append(
                    f"--- {caller.name} (exit {run.returncode})\n{run.stdout[-6000:]}\n{run.stderr[-1000:]}"
                )
        assert failures == [], "\n".join(failures)
        await a.close()
    finally:
        api.stop()
