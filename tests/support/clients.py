"""Test clients that speak the public contract: a responder socket and a trust builder."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

# A square around Leeds city centre (lat 53.70..53.90, lon -1.70..-1.40).
AREA = {
    "type": "Polygon",
    "coordinates": [[[-1.70, 53.70], [-1.40, 53.70], [-1.40, 53.90], [-1.70, 53.90], [-1.70, 53.70]]],
}
CENTRE = (53.80, -1.55)
M_PER_DEG_LAT = 111_195.0


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / M_PER_DEG_LAT, point[1]


class ResponderSocket:
    """One responder app: a real websocket, frames collected as they come, waited on with timeouts."""

    def __init__(self, ws: websockets.ClientConnection):
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self._new = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self.ready: dict[str, Any] | None = None

    @classmethod
    async def connect(cls, url: str, token: str, *, via_message: bool = False, timeout: float = 10) -> ResponderSocket:
        # No client pings: keeping the link alive is the server's job, and a client ping's deadline in a
        # test's busy event loop measures the loop, not the link.
        ws = await websockets.connect(url if via_message else f"{url}?token={token}", ping_interval=None)
        if via_message:
            await ws.send(json.dumps({"type": "auth", "token": token}))
        sock = cls(ws)
        sock.ready = await sock.next("ready", timeout=timeout)
        return sock

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                async with self._new:
                    self.frames.append(json.loads(text))
                    self._new.notify_all()
        except websockets.ConnectionClosed:
            pass
        async with self._new:
            self._new.notify_all()

    async def next(self, type_: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        """The first frame of this type (and matching fields) not yet taken."""

        async def find() -> dict[str, Any]:
            async with self._new:
                while True:
                    for i, f in enumerate(self.frames):
                        if f.get("type") == type_ and all(f.get(k) == v for k, v in match.items()):
                            return self.frames.pop(i)
                    if self._reader.done():
                        raise AssertionError(
                            f"socket closed ({self.ws.close_code} {self.ws.close_reason!r}) before a {type_!r} frame;"
                            f" got {self.frames}"
                        )
                    await self._new.wait()

        return await asyncio.wait_for(find(), timeout)

    def taken(self, type_: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == type_]

    async def send(self, **msg: Any) -> None:
        await self.ws.send(json.dumps(msg))

    async def roundtrip(self, timeout: float = 10) -> None:
        """Everything sent before has been handled once the pong comes back (one reader per socket)."""
        await self.send(type="ping")
        await self.next("pong", timeout=timeout)

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


async def online(
    stack, trust: Trust, rid: str, at: tuple[float, float], *, available: bool = True, accuracy_m: float = 10
) -> ResponderSocket:
    """A responder app that is connected, has reported where it is and whether it is available."""
    sock = await ResponderSocket.connect(stack.ws_url, trust.tokens[rid])
    await sock.send(type="location", lat=at[0], lon=at[1], accuracy_m=accuracy_m)
    await sock.send(type="availability", available=available)
    await sock.roundtrip()
    return sock


@dataclass
class Trust:
    id: str
    admin: httpx.AsyncClient
    cad: httpx.AsyncClient
    admin_key: str
    cad_key: str
    tokens: dict[str, str] = field(default_factory=dict)

    async def responder(self, rid: str, groups: list[str]) -> str:
        r = await self.admin.post(
            f"/v1/trusts/{self.id}/responders", json={"id": rid, "name": rid.title(), "groups": groups}
        )
        assert r.status_code == 201, r.text
        t = await self.admin.post(f"/v1/trusts/{self.id}/responders/{rid}/tokens")
        assert t.status_code == 201, t.text
        self.tokens[rid] = t.json()["token"]
        return self.tokens[rid]

    async def aed(self, aed_id: str, name: str, at: tuple[float, float], access: str = "24/7") -> httpx.Response:
        """Replaces the trust's defibrillator list with this one AED (GeoJSON, as an admin uploads it)."""
        return await self.admin.put(
            f"/v1/trusts/{self.id}/aeds",
            json={
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [at[1], at[0]]},
                        "properties": {"id": aed_id, "name": name, "access": access},
                    }
                ],
            },
        )

    async def close(self) -> None:
        await self.admin.aclose()
        await self.cad.aclose()


TWO_PHASES = {
    "phases": [
        {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0},
        {"name": "community", "groups": ["staff", "community"], "radius_m": 1000, "delay_s": 2},
    ],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["09-E-*", "09-D-01"],
    "location_max_age_s": 900,
}


async def make_trust(
    stack, *, policy: dict[str, Any] | None = TWO_PHASES, name: str | None = None, area: dict[str, Any] | None = None
) -> Trust:
    async with stack.client(stack.settings.operator_token) as op:
        r = await op.post("/v1/trusts", json={"name": name or f"Trust {uuid.uuid4().hex[:6]}", "area": area or AREA})
        assert r.status_code == 201, r.text
    body = r.json()
    trust = Trust(
        body["id"], stack.client(body["admin_key"]), stack.client(body["cad_key"]), body["admin_key"], body["cad_key"]
    )
    for g in (
        {"id": "staff", "name": "Staff", "trusted": True},
        {"id": "community", "name": "Community", "trusted": False},
    ):
        assert (await trust.admin.post(f"/v1/trusts/{trust.id}/groups", json=g)).status_code == 201
    if policy is not None:
        r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=policy)
        assert r.status_code == 200, r.text
    return trust
