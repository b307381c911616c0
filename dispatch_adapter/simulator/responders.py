"""Simulated responders for demos: real responder sockets that accept or decline after a pause.

Without responders a demo posts incidents nobody answers. These register (or reuse) responders
through the trust admin API, stand them at random points of the area, and answer every alert the
way people do: most accept, after a few seconds of reading it. With `travel_s`, one who is
assigned goes to the scene in that many seconds, reporting a position each second (the incident's
live ETA, the CAD's `responder.eta`), then reports `on_scene`, `with_patient` and `cpr_started`.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from shapely.geometry.base import BaseGeometry

from dispatch_adapter.simulator.scenario import random_point

__all__ = ["ResponderBot", "register", "socket_url"]


def socket_url(base_url: str) -> str:
    scheme, rest = base_url.rstrip("/").split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/v1/responders/ws"


async def register(base_url: str, admin_key: str, trust_id: str, count: int) -> dict[str, str]:
    """`count` responders named sim-NNN spread over the trust's groups; returns id -> fresh token."""
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as admin:
        r = await admin.get(f"/v1/trusts/{trust_id}/groups")
        r.raise_for_status()
        groups = [g["id"] for g in r.json()]
        if not groups:
            raise ValueError("the trust has no groups to put simulated responders in")
        tokens: dict[str, str] = {}
        for i in range(count):
            rid = f"sim-{i:03d}"
            created = await admin.post(
                f"/v1/trusts/{trust_id}/responders",
                json={"id": rid, "name": f"Simulated responder {i}", "groups": [groups[i % len(groups)]]},
            )
            if created.status_code == 409:  # made by an earlier run: reuse it, active and in its group again
                created = await admin.patch(
                    f"/v1/trusts/{trust_id}/responders/{rid}",
                    json={"status": "active", "groups": [groups[i % len(groups)]]},
                )
            created.raise_for_status()
            token = await admin.post(f"/v1/trusts/{trust_id}/responders/{rid}/tokens")
            token.raise_for_status()
            tokens[rid] = token.json()["token"]
    return tokens


@dataclass
class ResponderBot:
    url: str
    token: str
    area: BaseGeometry
    rng: random.Random
    accept_share: float = 0.7
    think_s: float = 5.0
    travel_s: float = 0.0  # 0: an assigned responder stays where they are
    accepted: int = 0
    declined: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # placed and available, as the server knows
    at: tuple[float, float] = (0.0, 0.0)
    _alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    _journeys: dict[str, asyncio.Task] = field(default_factory=dict)

    async def run(self) -> None:
        """Until cancelled: answer alerts; after each job, move somewhere else in the area."""
        try:
            await self._serve()
        finally:
            for journey in self._journeys.values():
                journey.cancel()

    async def _serve(self) -> None:
        async with websockets.connect(self.url) as ws:
            # The token goes in the first message, not the URL, so no access log ever records it.
            await ws.send(json.dumps({"type": "auth", "token": self.token}))
            await self._move(ws)
            await ws.send(json.dumps({"type": "availability", "available": True}))
            await ws.send(json.dumps({"type": "ping"}))  # the pong says both were handled
            answering: set[asyncio.Task] = set()
            async for text in ws:
                frame = json.loads(text)
                if frame.get("type") == "pong":
                    self.ready.set()
                alerts = (
                    frame.get("pending", [])
                    if frame.get("type") == "ready"
                    else [frame]
                    if frame.get("type") == "alert"
                    else []
                )
                for alert in alerts:
                    self._alerts[alert["alert_id"]] = alert
                    await ws.send(json.dumps({"type": "ack", "alert_id": alert["alert_id"]}))
                    task = asyncio.create_task(self._answer(ws, alert))
                    answering.add(task)
                    task.add_done_callback(answering.discard)
                if frame.get("type") == "assigned" and self.travel_s > 0 and frame["alert_id"] in self._alerts:
                    journey = asyncio.create_task(self._go(ws, self._alerts[frame["alert_id"]]))
                    self._journeys[frame["alert_id"]] = journey
                if frame.get("type") == "stand_down":
                    if (going := self._journeys.get(frame.get("alert_id", ""))) is not None:
                        going.cancel()  # its own `finally` forgets it
                    self._alerts.pop(frame.get("alert_id", ""), None)
                if frame.get("type") == "stand_down" and frame.get("reason") in ("closed", "cancelled"):
                    await self._move(ws)
                if frame.get("type") == "error":
                    print(f"responder socket error: {frame.get('code')}: {frame.get('detail')}", file=sys.stderr)

    async def _move(self, ws: Any) -> None:
        await self._report(ws, random_point(self.area, self.rng))

    async def _report(self, ws: Any, at: tuple[float, float]) -> None:
        self.at = at
        await ws.send(json.dumps({"type": "location", "lat": at[0], "lon": at[1], "accuracy_m": 10}))

    async def _go(self, ws: Any, alert: dict[str, Any]) -> None:
        """To the scene in `travel_s`, a position a second, then the statuses a responder reports there."""
        start, steps = self.at, max(1, round(self.travel_s))
        try:
            for step in range(1, steps + 1):
                await asyncio.sleep(self.travel_s / steps)
                share = step / steps
                here = (start[0] + (alert["lat"] - start[0]) * share, start[1] + (alert["lon"] - start[1]) * share)
                await self._report(ws, here)
            for status in ("on_scene", "with_patient", "cpr_started"):
                await ws.send(json.dumps({"type": "status", "alert_id": alert["alert_id"], "status": status}))
        except websockets.ConnectionClosed:
            pass  # the socket closed under the journey (the run is ending): nobody to tell
        finally:
            self._journeys.pop(alert["alert_id"], None)

    async def _answer(self, ws: Any, alert: dict[str, Any]) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think_s))  # reading the alert, deciding
        accept = self.rng.random() < self.accept_share
        self.accepted += accept
        self.declined += not accept
        if not accept:
            self._alerts.pop(alert["alert_id"], None)
        await ws.send(json.dumps({"type": "accept" if accept else "decline", "alert_id": alert["alert_id"]}))
