"""Positions over the socket and over HTTP: validated, rate-limited per responder, and searchable."""

from __future__ import annotations

import asyncio

from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of


async def nearby(trust) -> int:
    r = await trust.cad.get("/v1/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 1000})
    assert r.status_code == 200, r.text
    return r.json()["by_group"].get("staff", 0)


async def test_socket_locations_are_rate_limited_and_validated(stack):
    trust = await make_trust(stack)
    await trust.responder("walker", ["staff"])
    sock = await ResponderSocket.connect(stack.ws_url, trust.tokens["walker"])
    far = north_of(CENTRE, 5000)
    await sock.send(type="location", lat=far[0], lon=far[1])
    await sock.send(type="location", lat=CENTRE[0], lon=CENTRE[1])  # within the same second: dropped
    await sock.send(type="location", lat=91, lon=0)
    error = await sock.next("error", code="rate_limited")
    assert "per second" in error["detail"]
    invalid = await sock.next("error", code="invalid_message")
    assert invalid["detail"].startswith("location.lat")
    await sock.roundtrip()
    assert await nearby(trust) == 0  # the first position stands; the dropped one changed nothing
    await sock.close()
    await trust.close()


async def test_http_locations_answer_429_when_too_fast(stack):
    trust = await make_trust(stack)
    await trust.responder("cyclist", ["staff"])
    async with stack.client(trust.tokens["cyclist"]) as me:
        r = await me.put("/v1/me/location", json={"lat": CENTRE[0], "lon": CENTRE[1], "accuracy_m": 8})
        assert r.status_code == 204, r.text
        again = await me.put("/v1/me/location", json={"lat": north_of(CENTRE, 5000)[0], "lon": CENTRE[1]})
        assert again.status_code == 429
        assert again.headers["content-type"].startswith("application/problem+json")
        assert int(again.headers["retry-after"]) >= 1
        bad = await me.put("/v1/me/location", json={"lat": "north", "lon": CENTRE[1]})
        assert bad.status_code == 422
    assert await nearby(trust) == 1
    await trust.close()


async def test_many_responders_at_once_are_all_indexed(stack):
    trust = await make_trust(stack)
    ids = [f"r{i}" for i in range(40)]
    for rid in ids:
        await trust.responder(rid, ["staff"])

    async def report(rid: str, metres: float) -> int:
        async with stack.client(trust.tokens[rid]) as me:
            at = north_of(CENTRE, metres)
            return (await me.put("/v1/me/location", json={"lat": at[0], "lon": at[1]})).status_code

    codes = await asyncio.gather(*(report(rid, 10 * i) for i, rid in enumerate(ids)))
    assert set(codes) == {204}
    assert await nearby(trust) == len(ids)
    await trust.close()
