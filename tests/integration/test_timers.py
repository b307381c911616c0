"""Phase timers survive a worker crash: the periodic sweep fires what the lost task would have."""

from __future__ import annotations

import asyncio
import time

from tests.support.clients import CENTRE, TWO_PHASES, ResponderSocket, make_trust, north_of


async def test_phase_due_while_worker_is_dead_fires_once_after_restart(stack):
    trust = await make_trust(stack, policy=TWO_PHASES)  # phase 1 after 2 s
    await trust.responder("c", ["community"])
    sock = await ResponderSocket.connect(stack.ws_url, trust.tokens["c"])
    at = north_of(CENTRE, 500)
    await sock.send(type="location", lat=at[0], lon=at[1])
    await sock.roundtrip()

    created = (
        await trust.cad.post(
            "/v1/incidents",
            json={
                "cad_ref": "T-1",
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": "09-E-01",
                "location_type": "public",
            },
        )
    ).json()
    posted = time.monotonic()
    stack.worker.kill()  # SIGKILL: the wake task it may hold is lost until the broker's visibility timeout
    try:
        # With no worker alive nothing can fire phase 1; wait until it is overdue.
        await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - posted)))
        status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
        assert status["phase"] == "trusted" and sock.taken("alert") == []
    finally:
        stack.worker.start()
    alert = await sock.next("alert", timeout=30, incident_id=created["id"])
    assert 495 <= alert["distance_m"] <= 505
    await sock.roundtrip()
    assert [f for f in sock.taken("alert") if f["incident_id"] == created["id"]] == []  # exactly once
    status = (await trust.cad.get(f"/v1/incidents/{created['id']}")).json()
    fired = [t for t in status["timeline"] if t["event"] == "phase_fired"]
    assert [f["index"] for f in fired] == [0, 1]
    await sock.close()
    await trust.close()
