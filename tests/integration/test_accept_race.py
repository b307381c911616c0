"""Exactly accept_limit assignments whatever the race: 1,000 accepts at once, over sockets and HTTP."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of

N = 1000
LIMIT = 2


async def test_a_thousand_simultaneous_accepts_assign_exactly_the_limit(stack):
    policy = {
        "phases": [{"name": "all", "groups": ["staff"], "radius_m": 2000, "delay_s": 0, "max_alerts": N}],
        "accept_limit": LIMIT,
        "alert_ttl_s": 600,
    }
    trust = await make_trust(stack, policy=policy)
    rids = [f"r{i:04d}" for i in range(N)]
    sem = asyncio.Semaphore(20)

    async def register(i: int, rid: str) -> ResponderSocket:
        async with sem:
            await trust.responder(rid, ["staff"])
            sock = await ResponderSocket.connect(stack.ws_url, trust.tokens[rid], timeout=60)
            at = north_of(CENTRE, (i % 900) + 1)
            await sock.send(type="location", lat=at[0], lon=at[1])
            await sock.roundtrip(timeout=60)
            return sock

    socks = await asyncio.gather(*(register(i, rid) for i, rid in enumerate(rids)))
    created = await trust.cad.post(
        "/v1/incidents",
        json={
            "cad_ref": "RACE-1",
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "category": "09-E-01",
            "location_type": "public",
        },
    )
    assert created.status_code == 201 and created.json()["alerted"] == N
    alerts = await asyncio.gather(*(s.next("alert", timeout=30) for s in socks))

    go = asyncio.Event()
    http_clients = [stack.client(trust.tokens[rid]) for rid in rids[1::2]]
    for client in http_clients:  # a correctness test, not a benchmark: a loaded machine may be slow
        client.timeout = httpx.Timeout(300)

    async def accept_by_socket(sock: ResponderSocket, alert: dict) -> str:
        await go.wait()
        await sock.send(type="accept", alert_id=alert["alert_id"])
        done, pending = await asyncio.wait(
            {
                asyncio.create_task(sock.next("assigned", timeout=300, alert_id=alert["alert_id"])),
                asyncio.create_task(sock.next("stand_down", timeout=300, alert_id=alert["alert_id"])),
            },
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in pending:
            task.cancel()
        frame = done.pop().result()
        return "assigned" if frame["type"] == "assigned" else frame["reason"]

    async def accept_by_http(client, alert: dict) -> str:
        await go.wait()
        r = await client.post(f"/v1/alerts/{alert['alert_id']}/accept")
        assert r.status_code == 200, r.text
        kinds = [f["type"] for f in r.json()["frames"]]
        if "assigned" in kinds:
            return "assigned"
        return next(f["reason"] for f in r.json()["frames"] if f["type"] == "stand_down")

    tasks = []
    for i, (sock, alert) in enumerate(zip(socks, alerts, strict=True)):
        if i % 2 == 0:
            tasks.append(asyncio.create_task(accept_by_socket(sock, alert)))
        else:
            tasks.append(asyncio.create_task(accept_by_http(http_clients[i // 2], alert)))
    await asyncio.sleep(0)
    go.set()
    outcomes = await asyncio.gather(*tasks)

    assert outcomes.count("assigned") == LIMIT
    assert outcomes.count("filled") == N - LIMIT
    status = (await trust.cad.get(f"/v1/incidents/{created.json()['id']}")).json()
    assert status["status"] == "filled"
    states = [r["state"] for r in status["responders"]]
    assert states.count("accepted") == LIMIT and states.count("stood_down") == N - LIMIT
    winners = {rids[i] for i, o in enumerate(outcomes) if o == "assigned"}
    assert {r["id"] for r in status["responders"] if r["state"] == "accepted"} == winners
    assert [t["event"] for t in status["timeline"]].count("incident.filled") == 1

    for client in http_clients:
        await client.aclose()
    await asyncio.gather(*(s.close() for s in socks))
    await trust.close()
