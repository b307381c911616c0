"""What a bystander's raise costs against a CAD's report of the same call, in the same run.

    .venv/bin/python bench/alerter_raise.py [--pairs 40]

One API process in this one (PostgreSQL, Redis, a Celery worker: the test stack), one trust whose
policy has alerters on in `auto` mode, 20 responders around the centre. Each pair is a CAD
`POST /v1/incidents` and an alerter's `POST /v1/alerts/raise` at the same point, in alternating
order, each incident cancelled before the next request so every request meets the same state.
Both run phase 0 in the request; the raise adds the alerter's row lock, the limit queries and the
audit entry. Reported: medians and the raise/POST ratio (latencies of sequential requests, not
throughput).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.alerters import alerter_policy, make_alerter
from tests.support.clients import CENTRE, make_trust, north_of
from tests.support.stack import (
    Stack,
    Worker,
    create_pg_database,
    drop_pg_database,
    free_port,
    make_settings,
    migrate,
)

RESPONDERS = 20


async def main(pairs: int) -> None:
    url, name = await create_pg_database()
    await asyncio.to_thread(migrate, url)
    settings = make_settings(url)
    stack = Stack(settings, free_port(), Worker(settings))
    await stack.start()
    try:
        trust = await make_trust(stack, policy=alerter_policy(mode="auto", radius_m=2000, max_per_day=100))
        for i in range(RESPONDERS):
            token = await trust.responder(f"r{i}", ["staff"])
            async with stack.client(token) as me:
                lat, lon = north_of(CENTRE, 30 + 50 * i)
                assert (await me.put("/v1/me/location", json={"lat": lat, "lon": lon})).status_code == 204
                assert (await me.put("/v1/me/availability", json={"available": True})).status_code == 204
        alerter = await make_alerter(stack, trust, "bench")
        post_s: list[float] = []
        raise_s: list[float] = []
        async with stack.client(alerter) as phone:

            async def cad(i: int) -> None:
                t0 = time.perf_counter()
                r = await trust.cad.post(
                    "/v1/incidents",
                    json={"cad_ref": f"B-{i}", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"},
                )
                post_s.append(time.perf_counter() - t0)
                assert r.status_code == 201 and r.json()["alerted"] > 0, r.text
                await trust.cad.post(f"/v1/incidents/{r.json()['id']}/cancel", json={"reason": "bench"})

            async def bystander() -> None:
                t0 = time.perf_counter()
                r = await phone.post("/v1/alerts/raise", json={"lat": CENTRE[0], "lon": CENTRE[1]})
                raise_s.append(time.perf_counter() - t0)
                assert r.status_code == 201 and r.json()["alerted"] > 0, r.text
                await trust.cad.post(f"/v1/incidents/{r.json()['incident_id']}/cancel", json={"reason": "bench"})

            await cad(-1)  # warm both paths
            await bystander()
            post_s.clear()
            raise_s.clear()
            for i in range(pairs):
                if i % 2:
                    await cad(i)
                    await bystander()
                else:
                    await bystander()
                    await cad(i)
        post, raised = statistics.median(post_s) * 1e3, statistics.median(raise_s) * 1e3
        print(f"CAD POST /v1/incidents  median {post:6.1f} ms   ({pairs} requests, {RESPONDERS} responders near)")
        print(f"POST /v1/alerts/raise   median {raised:6.1f} ms   ({pairs} requests)")
        print(f"ratio raise/POST {raised / post:.2f}x")
        await trust.close()
    finally:
        await stack.stop()
        await drop_pg_database(name)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=40)
    args = ap.parse_args()
    asyncio.run(main(args.pairs))
