"""How soon the alerter hears of help, against the responder's own answer, in the same run.

    .venv/bin/python bench/alerter_help.py [--rounds 20]

One API process in this one (PostgreSQL, Redis, a Celery worker: the test stack), one trust with
alerters on in `auto` mode, one responder near. Each round: the alerter raises, the responder
accepts on their socket, and two clocks run from the accept: until the responder's `assigned`
frame (the accept's own answer) and until the alerter's `help` frame that counts them (a poke on
the alerter's bus channel, then a read of the incident and positions on the socket's process).
Then the responder moves three times, and two more clocks run from each position: until its
`pong` (the position handled) and until the alerter's `help` with the new distance. Each
incident is cancelled before the next round. Reported: medians and the alerter/responder ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.alerters import alerter_online, alerter_policy, help_until, make_alerter
from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.stack import (
    Stack,
    Worker,
    create_pg_database,
    drop_pg_database,
    free_port,
    make_settings,
    migrate,
)


async def main(rounds: int) -> None:
    url, name = await create_pg_database()
    await asyncio.to_thread(migrate, url)
    settings = make_settings(url, location_rate_per_s=1000.0, location_burst=1000)
    stack = Stack(settings, free_port(), Worker(settings))
    await stack.start()
    try:
        trust = await make_trust(stack, policy=alerter_policy(mode="auto", max_per_day=100))
        await trust.responder("amy", ["staff"])
        amy = await online(stack, trust, "amy", north_of(CENTRE, 200))
        token = await make_alerter(stack, trust, "bench")
        bea = await alerter_online(stack, token)
        assigned_s: list[float] = []
        help_s: list[float] = []
        pong_s: list[float] = []
        moved_s: list[float] = []
        async with stack.client(token) as phone:
            for i in range(rounds + 1):  # the first round warms both paths and is not counted
                r = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
                assert r.status_code == 201, r.text
                incident_id = r.json()["incident_id"]
                alert = await amy.next("alert", incident_id=incident_id)
                await help_until(bea, incident_id=incident_id, alerted=1)
                t0 = time.perf_counter()
                await amy.send(type="accept", alert_id=alert["alert_id"])
                got_help = asyncio.create_task(help_until(bea, incident_id=incident_id, accepted=1))
                await amy.next("assigned", alert_id=alert["alert_id"])
                t_assigned = time.perf_counter() - t0
                await got_help
                t_help = time.perf_counter() - t0
                if i:
                    assigned_s.append(t_assigned)
                    help_s.append(t_help)
                for metres in (150, 100, 50):
                    lat, lon = north_of(CENTRE, metres)
                    t0 = time.perf_counter()
                    await amy.send(type="location", lat=lat, lon=lon, accuracy_m=5)
                    got_help = asyncio.create_task(help_until(bea, incident_id=incident_id, nearest_m=metres))
                    await amy.roundtrip()
                    t_pong = time.perf_counter() - t0
                    await got_help
                    if i:
                        pong_s.append(t_pong)
                        moved_s.append(time.perf_counter() - t0)
                r = await trust.cad.post(f"/v1/incidents/{incident_id}/cancel", json={"reason": "bench"})
                assert r.status_code in (200, 204), r.text
                await bea.next("stand_down")
                await amy.next("stand_down")
                lat, lon = north_of(CENTRE, 200)  # back where the next round finds her
                await amy.send(type="location", lat=lat, lon=lon, accuracy_m=5)
                await amy.roundtrip()
        med = {
            k: statistics.median(v) * 1e3 for k, v in {"a": assigned_s, "h": help_s, "p": pong_s, "m": moved_s}.items()
        }
        print(f"accept -> responder's assigned   median {med['a']:6.1f} ms  ({len(assigned_s)} accepts)")
        print(f"accept -> alerter's help         median {med['h']:6.1f} ms  ratio {med['h'] / med['a']:.2f}x")
        print(f"position -> responder's pong     median {med['p']:6.1f} ms  ({len(pong_s)} positions)")
        print(f"position -> alerter's help       median {med['m']:6.1f} ms  ratio {med['m'] / med['p']:.2f}x")
        for sock in (amy, bea):
            await sock.close()
        await trust.close()
    finally:
        await stack.stop()
        await drop_pg_database(name)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    asyncio.run(main(args.rounds))
