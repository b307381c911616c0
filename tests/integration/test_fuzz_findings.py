"""Inputs found by fuzzing: a NUL in a string is the caller's mistake (422), never a 5xx."""

from __future__ import annotations

from tests.support.clients import make_trust

PROBLEM = "application/problem+json"


async def test_nul_characters_are_refused_with_422_and_change_nothing(stack):
    trust = await make_trust(stack)
    token = await trust.responder("r1", ["staff"])
    async with stack.client(token) as me:
        r = await me.put(
            "/v1/me/push-subscription",
            json={"endpoint": "https://push.example/\x00x", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}},
        )
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
        r = await me.put(
            "/v1/me/push-subscription",
            json={"endpoint": "https://push.example/x", "keys": {"p256dh": "B" * 87, "auth": "A" * 21 + "\x00"}},
        )
        assert r.status_code == 422
    # A field the schema does not police: the database refuses it, and the caller hears 422.
    r = await trust.admin.post(
        f"/v1/trusts/{trust.id}/responders", json={"id": "r2", "name": "Bad\x00Name", "groups": ["staff"]}
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), r.text
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/responders/r2")).status_code == 404
    await trust.close()
