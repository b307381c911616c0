"""Alerters as the public API makes them: a trust whose policy lets them alert, and an alerter
signed in through an invite, as the alerter page does."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.clients import TWO_PHASES, ResponderSocket, Trust

ALERTER_SECTION: dict[str, Any] = {
    "enabled": True,
    "mode": "auto",
    "radius_m": 300,
    "groups": ["staff"],
    "emergency_number": "999",
    "max_per_day": 3,
    "accept_limit": 1,
}


def alerter_policy(**section: Any) -> dict[str, Any]:
    """The test trusts' two phases, with an `alerter` section (auto mode unless told otherwise)."""
    return {**TWO_PHASES, "alerter": {**ALERTER_SECTION, **section}}


async def make_alerter(stack, trust: Trust, alerter_id: str, name: str | None = None) -> str:
    """Adds the alerter, invites them and redeems the invite: their token."""
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/alerters", json={"id": alerter_id, "name": name or alerter_id})
    assert r.status_code == 201, r.text
    invite = await trust.admin.post(f"/v1/trusts/{trust.id}/alerters/{alerter_id}/invites")
    assert invite.status_code == 201, invite.text
    async with stack.client() as phone:
        redeemed = await phone.post("/v1/invites/redeem", json={"code": invite.json()["code"]})
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json()["alerter_id"] == alerter_id
    return redeemed.json()["token"]


def alerter_ws(stack) -> str:
    return f"ws://127.0.0.1:{stack.port}/v1/alerters/ws"


async def alerter_online(stack, token: str) -> ResponderSocket:
    """The alerter page's socket: the same client, on the alerter's path (it answers `ready` first)."""
    return await ResponderSocket.connect(alerter_ws(stack), token)


async def help_until(sock: ResponderSocket, timeout: float = 10, **want: Any) -> dict[str, Any]:
    """The first `help` frame whose fields match `want` (earlier ones are taken on the way: each
    says what changed, in order)."""

    async def wait() -> dict[str, Any]:
        while True:
            frame = await sock.next("help", timeout=timeout)
            if all(frame.get(k) == v for k, v in want.items()):
                return frame

    return await asyncio.wait_for(wait(), timeout)
