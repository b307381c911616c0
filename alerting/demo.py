"""A demo trust for `make run`: created once, its credentials kept in var/ for the local demo."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from alerting.services import auth, policies, staff, trusts
from alerting.services.context import build_services
from alerting.services.unit_of_work import unit_of_work
from alerting.settings import Settings
from dispatch_adapter.simulator.demo_area import LEEDS
from geo.aed_register import Fields

CREDENTIALS = Path("var") / "demo-credentials.json"
GROUPS = [
    {"id": "staff", "name": "Off-duty staff", "trusted": True},
    {"id": "volunteers", "name": "Community first responders", "trusted": True},
    {"id": "community", "name": "Community CPR responders", "trusted": False},
]
POLICY = {
    "phases": [
        {"name": "trusted", "groups": ["staff", "volunteers"], "radius_m": 200, "delay_s": 0},
        {"name": "community", "groups": ["staff", "volunteers", "community"], "radius_m": 1000, "delay_s": 30},
    ],
    "accept_limit": 2,
    "alert_ttl_s": 600,
    "categories": ["09-E-*", "09-D-01"],
    "location_max_age_s": 900,
}
RESPONDERS: list[dict[str, Any]] = [
    {"id": "r-amy", "name": "Amy (paramedic, off duty)", "groups": ["staff"], "skills": ["ALS"]},
    {"id": "r-ben", "name": "Ben (CFR)", "groups": ["volunteers"], "skills": ["BLS", "AED"]},
    {"id": "r-cat", "name": "Cat (community)", "groups": ["community"], "skills": ["CPR"]},
]
AEDS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-1.5478, 53.7960]},
            "properties": {"id": "aed-station", "name": "Leeds station concourse", "access": "24/7"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-1.5437, 53.8008]},
            "properties": {"id": "aed-briggate", "name": "Briggate", "access": "24/7 public cabinet"},
        },
    ],
}


DEMO_STAFF_EMAIL = "demo.admin@example.org"


async def create_demo(settings: Settings) -> int:
    if CREDENTIALS.exists():
        print(f"demo data already present (credentials in {CREDENTIALS})")
        return 0
    services = build_services(settings)
    try:
        if (operator_token := await auth.ensure_operator(services)) is not None:
            print(f"operator token (shown once, store it safely): {operator_token}", file=sys.stderr, flush=True)
        async with unit_of_work(services) as uow:  # all of the demo or none of it
            trust = await trusts.create_trust(uow, name="Demo Ambulance Service", area=LEEDS, actor="demo")
            trust_id = trust["id"]
            for group in GROUPS:
                await trusts.create_group(uow, trust_id=trust_id, body=group, actor="demo")
            await policies.replace(uow, trust_id=trust_id, body=POLICY, actor="demo")
            tokens: dict[str, str] = {}
            for r in RESPONDERS:
                await trusts.create_responder(uow, trust_id=trust_id, body=r, actor="demo")
                tokens[r["id"]] = await trusts.issue_responder_token(
                    uow, trust_id=trust_id, responder_id=r["id"], actor="demo"
                )
            await trusts.put_aeds(
                uow, trust_id=trust_id, content=json.dumps(AEDS).encode(), fmt="json", fields=Fields(), actor="demo"
            )
            # A person to sign in as, so the console is tried the way a trust's staff use it.
            invited = await staff.create(
                uow,
                trust_id=trust_id,
                email=DEMO_STAFF_EMAIL,
                name="Demo Administrator",
                roles=["admin"],
                actor="demo",
                base_url="http://127.0.0.1",
            )
            staff_password = secrets.token_urlsafe(12)
            await staff.accept_invite(uow, code=invited["invite_code"], password=staff_password)
    finally:
        await services.aclose()
    creds: dict[str, Any] = {
        "trust_id": trust["id"],
        "admin_key": trust["admin_key"],
        "cad_key": trust["cad_key"],
        "staff_login": {"email": DEMO_STAFF_EMAIL, "password": staff_password},
        "responder_tokens": tokens,
    }
    CREDENTIALS.parent.mkdir(exist_ok=True)
    CREDENTIALS.write_text(json.dumps(creds, indent=2))
    os.chmod(CREDENTIALS, 0o600)
    print("demo trust created; these credentials are shown once (a copy is kept in var/ for the local demo only):")
    print(json.dumps(creds, indent=2))
    return 0


def demo_curl(base: str = "http://127.0.0.1:8000") -> str:
    creds = json.loads(CREDENTIALS.read_text())
    body = json.dumps(
        {
            "cad_ref": "DEMO-$(date +%s)",
            "lat": 53.7997,
            "lon": -1.5492,
            "category": "09-E-01",
            "location_type": "public",
            "address": "City Square, Leeds",
        }
    )
    return (
        f"curl -s -X POST {base}/v1/incidents -H 'Authorization: Bearer {creds['cad_key']}' "
        f"-H 'Content-Type: application/json' -d \"{body.replace(chr(34), chr(92) + chr(34))}\""
    )
