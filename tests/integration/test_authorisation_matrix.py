"""Every route x every credential kind answers as tests/support/authz_matrix.py says."""

from __future__ import annotations

import itertools
import json

import httpx
import websockets
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, WebSocketRoute

from alerting.app import create_app
from alerting.settings import Settings
from tests.support.alerters import make_alerter
from tests.support.authz_matrix import (
    KINDS,
    LOGIN,
    MATRIX,
    MATRIX_POLICY,
    SSO,
    STAFF_KINDS,
    UPLOAD_TYPE,
    WS,
    WS_CLOSE_AS_STATUS,
    credential_upload,
)
from tests.support.clients import CENTRE, make_trust
from tests.support.oidc_provider import OpenIDProvider
from tests.support.staff import Person, invite, signed_in

PROBLEM = "application/problem+json"


def served_routes() -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    for rc in iter_route_contexts(create_app(Settings()).routes):
        if isinstance(rc.original_route, Mount):  # static files: read with GET, a path below the mount
            routes.add(("GET", rc.original_route.path_format))
        elif isinstance(rc.original_route, WebSocketRoute) or getattr(rc, "methods", None) is None:
            routes.add((WS, rc.path))
        else:
            routes.update((method, rc.path) for method in rc.methods if method != "HEAD")
    return routes


def test_every_served_route_has_a_row_and_every_row_a_route():
    served = served_routes()
    assert sorted(served - MATRIX.keys()) == [], "routes without a row in the authorisation matrix"
    assert sorted(MATRIX.keys() - served) == [], "matrix rows for routes that are not served"


async def _world(stack):
    """Trusts A and B, each with a responder `r1` near the centre and an alerter `al1`; an incident of
    A alerting A's r1."""
    a, b = await make_trust(stack, policy=MATRIX_POLICY), await make_trust(stack, policy=MATRIX_POLICY)
    tokens = {
        "operator": stack.settings.operator_token,
        "admin_a": a.admin_key,
        "cad_a": a.cad_key,
        "responder_a": await a.responder("r1", ["staff"]),
        "admin_b": b.admin_key,
        "cad_b": b.cad_key,
        "responder_b": await b.responder("r1", ["staff"]),
        "alerter_a": await make_alerter(stack, a, "al1"),
        "alerter_b": await make_alerter(stack, b, "al1"),
    }
    for kind in ("responder_a", "responder_b"):
        async with stack.client(tokens[kind]) as me:
            assert (await me.put("/v1/me/location", json={"lat": CENTRE[0], "lon": CENTRE[1]})).status_code == 204
    r = await a.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "AUTHZ-1",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
        },
    )
    assert r.status_code == 201 and r.json()["alerted"] == 1, r.text
    async with stack.client(tokens["responder_a"]) as me:
        alerts = (await me.get("/v1/me/alerts")).json()
        upload = await me.post(
            "/v1/me/credentials", content=credential_upload(0), headers={"Content-Type": UPLOAD_TYPE}
        )
        assert upload.status_code == 201, upload.text
    r2 = await a.admin.put(f"/v1/trusts/{a.id}/registration", json={"open": True, "groups": ["staff"]})
    assert r2.status_code == 200, r2.text
    registration_id, registration_credential_id = await _application(stack, a.id)
    people: dict[str, Person] = {}
    for kind, roles in STAFF_KINDS.items():
        people[kind] = await signed_in(stack, b if kind == "staff_b" else a, roles=list(roles), name=kind)
    target = await invite(a, roles=["viewer"], name="Matrix target")
    login = await invite(a, roles=["viewer"], name="Matrix login", email=LOGIN["email"])
    async with httpx.AsyncClient(base_url=stack.base_url) as anon:
        r3 = await anon.post(f"/v1/auth/invites/{login['invite_code']}", json={"password": LOGIN["password"]})
        assert r3.status_code == 200, r3.text
    params = {
        "trust": a.id,
        "rid": "r1",
        "incident_id": r.json()["id"],
        "alert_id": alerts[0]["alert_id"],
        "staff_id": target["id"],
        "alerter_id": "al1",
    }
    world = {
        "credential_id": upload.json()["id"],
        "registration_id": registration_id,
        "registration_credential_id": registration_credential_id,
    }
    return a, b, tokens, params, people, world


async def _application(stack, trust_id: str) -> tuple[str, str]:
    """A pending application with one uploaded credential: its id and the credential's."""
    async with stack.client() as public:
        reg = (await public.post(f"/v1/trusts/{trust_id}/registrations", json={"name": "Matrix applicant"})).json()
        upload = await public.post(
            f"/v1/registrations/{reg['id']}/credentials",
            content=credential_upload(0),
            headers={"Content-Type": UPLOAD_TYPE, "Authorization": f"Bearer {reg['upload_token']}"},
        )
        assert upload.status_code == 201, upload.text
    return reg["id"], upload.json()["id"]


async def _ws_status(stack, path: str, token: str | None) -> int:
    base = f"ws://127.0.0.1:{stack.port}{path}"
    url = f"{base}?token={token}" if token else base
    async with websockets.connect(url) as ws:
        if token is None:
            await ws.send(json.dumps({"type": "ping"}))  # not an auth message: refused at once
        try:
            frame = json.loads(await ws.recv())
        except websockets.ConnectionClosed as closed:
            return WS_CLOSE_AS_STATUS.get(closed.rcvd.code if closed.rcvd else 0, 0)
        return 200 if frame.get("type") == "ready" else 0


async def _fresh_session(stack, trust, person: Person, roles) -> Person:
    """Another session of a person like this one, for a request that ends its own session."""
    return await signed_in(stack, trust, roles=list(roles), name=person.name)


async def test_each_credential_kind_gets_exactly_what_the_matrix_says(stack):
    a, b, tokens, params, people, world = await _world(stack)
    provider = OpenIDProvider().start()
    client = provider.register_client(f"{stack.base_url}/v1/auth/sso/callback")
    SSO["settings"] = {"issuer": provider.issuer, "client_id": client.client_id, "client_secret": client.client_secret}
    assert (await a.admin.put(f"/v1/trusts/{a.id}/sso", json=SSO["settings"])).status_code == 200
    counter = itertools.count()
    mismatches: list[str] = []
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
        for (method, template), row in MATRIX.items():
            for kind in KINDS:
                token = tokens.get(kind)
                if method == WS:
                    got = await _ws_status(stack, template, token)
                    if got != row.expected(kind):
                        mismatches.append(f"{kind:12} WS {template}: {got}, expected {row.expected(kind)}")
                    continue
                n = next(counter)
                values = dict(params) | row.values | {name: world[key] for name, key in row.world.items()}
                if row.fresh_registration:
                    values["registration_id"], _ = await _application(stack, a.id)
                if row.fresh_responder:
                    values["rid"] = f"victim{n}"
                    assert (
                        await a.admin.post(
                            f"/v1/trusts/{a.id}/responders",
                            json={"id": values["rid"], "name": "Victim", "groups": ["staff"]},
                        )
                    ).status_code == 201
                if row.fresh_alerter:
                    values["alerter_id"] = f"al-victim{n}"
                    made = await a.admin.post(
                        f"/v1/trusts/{a.id}/alerters", json={"id": values["alerter_id"], "name": f"Victim {n}"}
                    )
                    assert made.status_code == 201, made.text
                if row.fresh_staff:
                    values["staff_id"] = (await invite(a, roles=["viewer"], name=f"Victim {n}"))["id"]
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                client = http
                if kind in people:
                    person = people[kind]
                    if row.fresh_session:
                        person = await _fresh_session(stack, b if kind == "staff_b" else a, person, STAFF_KINDS[kind])
                    client, headers = person.http, {}
                if row.content:
                    headers["Content-Type"] = row.content_type or "application/octet-stream"
                jar = httpx.Cookies(client.cookies)  # a sign-in must not change who the next request is
                r = await client.request(
                    method,
                    template.format(**values),
                    headers=headers,
                    params=row.query,
                    json=row.body(n) if row.body else None,
                    content=row.content(n) if row.content else None,
                )
                client.cookies = jar
                if r.status_code != row.expected(kind):
                    mismatches.append(
                        f"{kind:12} {method} {template}: {r.status_code}, expected {row.expected(kind)}: {r.text[:200]}"
                    )
                elif r.status_code >= 400 and not r.headers["content-type"].startswith(PROBLEM):
                    mismatches.append(f"{kind:12} {method} {template}: {r.status_code} is not problem+json")
    assert mismatches == [], "\n".join(mismatches)
    for person in people.values():
        await person.close()
    provider.stop()
    await a.close()
    await b.close()


async def test_a_responder_cannot_act_on_another_responders_alert_of_the_same_trust(stack):
    trust = await make_trust(stack)
    mine, theirs = await trust.responder("mine", ["staff"]), await trust.responder("theirs", ["staff"])
    for token in (mine, theirs):
        async with stack.client(token) as me:
            assert (await me.put("/v1/me/location", json={"lat": CENTRE[0], "lon": CENTRE[1]})).status_code == 204
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "OWN-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.json()["alerted"] == 2
    async with stack.client(theirs) as them, stack.client(mine) as me:
        their_alert = (await them.get("/v1/me/alerts")).json()[0]["alert_id"]
        stolen = await me.post(f"/v1/alerts/{their_alert}/accept")
        assert stolen.status_code == 404 and stolen.headers["content-type"].startswith(PROBLEM)
        status = (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()
        assert [x["state"] for x in status["responders"]] == ["alerted", "alerted"]  # the refusal changed nothing
        own = await them.post(f"/v1/alerts/{their_alert}/accept")
        assert own.status_code == 200 and own.json()["frames"][0]["type"] == "assigned"
    await trust.close()
