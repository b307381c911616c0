"""Erasing an alerter through the public API: the person goes, their token, invites and sockets
(on every API) stop at once, and the alert they raised stays as an incident that no longer names them."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from alerting.services.context import build_services
from alerting.store import audit
from tests.support.alerters import alerter_online, alerter_policy, alerter_ws, make_alerter
from tests.support.clients import CENTRE, make_trust
from tests.support.stack import Stack, Worker, free_port, make_settings
from tests.support.staff import signed_in

PROBLEM = "application/problem+json"


class NoWorker(Worker):
    """The second API of a pair needs no Celery worker of its own."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


async def test_an_erased_alerter_is_gone_and_their_open_alert_stays_without_their_name(stack):
    trust = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    other = await make_trust(stack, policy=alerter_policy(mode="confirm"))
    token = await make_alerter(stack, trust, "kim", "Kim Erasable")
    await make_alerter(stack, trust, "lou", "Lou Stays")
    async with stack.client(token) as phone:
        raised = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
    assert raised.status_code == 201, raised.text
    incident_id = raised.json()["incident_id"]
    spare = (await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/kim/invites")).json()["code"]
    sock = await alerter_online(stack, token)
    admin = await signed_in(stack, trust, roles=["admin"], name="Ada Min")
    dispatcher = await signed_in(stack, trust, roles=["dispatcher"], name="Dee Spatcher")
    path = f"/v1/trusts/{trust.id}/alerters/kim"

    # Another trust cannot reach the alerter, a dispatcher may suspend but not erase, and an
    # unknown id is a problem: none of it changes anything.
    for r in (
        await other.admin.delete(path),
        await other.admin.delete(f"/v1/trusts/{other.id}/alerters/kim"),
        await trust.admin.delete(f"/v1/trusts/{trust.id}/alerters/nobody"),
    ):
        assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM), r.text
    assert (await dispatcher.http.delete(path)).status_code == 403
    assert "kim" in [a["id"] for a in (await trust.admin.get(f"/v1/trusts/{trust.id}/alerters")).json()]

    r = await admin.http.delete(path)
    assert r.status_code == 204, r.text
    await sock._reader  # the server closes it
    assert sock.ws.close_code == 4410

    ws = await websockets.connect(f"{alerter_ws(stack)}?token={token}")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)  # no `ready`: an unknown token
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    async with stack.client(token) as phone:
        for r in (
            await phone.get("/v1/alerts/current"),
            await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]}),
        ):
            assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM), r.text
        assert (await phone.post("/v1/invites/redeem", json={"code": spare})).status_code == 404
    listed = (await trust.admin.get(f"/v1/trusts/{trust.id}/alerters")).json()
    assert [a["id"] for a in listed] == ["lou"] and "Kim Erasable" not in str(listed)
    assert (await admin.http.delete(path)).status_code == 404

    # The alert stays an incident, raised by an alerter, still to be confirmed; it names them no more.
    view = await trust.cad.get(f"/v1/incidents/{incident_id}")
    assert view.status_code == 200, view.text
    record = view.json()
    assert record["source"] == "alerter" and record["status"] == "awaiting_confirmation"
    assert record["alerter_id"].startswith("ps_") and "Kim" not in view.text and "kim" not in view.text
    listed_incidents = await trust.cad.get("/v1/incidents", params={"source": "alerter"})
    assert [i["id"] for i in listed_incidents.json()] == [incident_id] and "kim" not in listed_incidents.text
    confirmed = await dispatcher.http.post(f"/v1/incidents/{incident_id}/confirm")
    assert confirmed.status_code == 200 and "Kim" not in confirmed.text

    # The audit keeps every entry, naming the alerter by a pseudonym that no longer leads to them;
    # the erasure is recorded with who did it, and ties to the raise and the incident.
    log = await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "alerter."})
    assert "Kim" not in log.text and '"kim"' not in log.text and "alerter kim" not in log.text
    entries = log.json()
    erased = next(e for e in entries if e["action"] == "alerter.erase")
    assert erased["actor"]["name"] == "Ada Min" and erased["what"] == "Erased an alerter"
    assert erased["subject"] == "an erased alerter" and erased["target"] == f"alerter {record['alerter_id']}"
    raise_entry = next(e for e in entries if e["action"] == "alerter.raise")
    assert raise_entry["actor"]["id"] == record["alerter_id"] and raise_entry["actor"]["name"] == "an erased alerter"
    added = [e for e in entries if e["action"] == "alerter.create"]
    assert sorted(e["subject"] for e in added) == ["alerter Lou Stays", "an erased alerter"]
    services = build_services(stack.settings)
    try:
        async with services.sessions() as session:
            assert await audit.verify(session) == []  # the chain is whole: no entry was edited
    finally:
        await services.aclose()

    for closing in (admin, dispatcher, other, trust):
        await closing.close()


async def test_erasing_an_alerter_closes_their_sockets_on_every_api(pg_url):
    """Two APIs (each its own app, bus subscriptions and sockets) on one database and Redis, of their
    own so that nothing they share outlives the test: the erasure on one closes the sockets on both."""
    settings = make_settings(pg_url)
    one, two = Stack(settings, free_port(), NoWorker(settings)), Stack(settings, free_port(), NoWorker(settings))
    await one.start()
    await two.start()
    try:
        trust = await make_trust(one, policy=alerter_policy(mode="confirm"))
        token = await make_alerter(one, trust, "mo", "Mo Elsewhere")
        socks = [await alerter_online(one, token), await alerter_online(two, token)]
        assert (await trust.admin.delete(f"/v1/trusts/{trust.id}/alerters/mo")).status_code == 204
        for sock in socks:
            await sock._reader  # the server closes it
            assert sock.ws.close_code == 4410
        await trust.close()
    finally:
        await two.stop()
        await one.stop()
