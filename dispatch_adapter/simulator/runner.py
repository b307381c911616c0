"""The simulator's I/O: paced posts over HTTP, a webhook receiver on loopback, closing filled jobs."""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any, TextIO

import httpx
from tqdm import tqdm

from dispatch_adapter.receiver import Attempt, WebhookReceiver
from dispatch_adapter.simulator.responders import ResponderBot, register, socket_url
from dispatch_adapter.simulator.scenario import CATEGORIES, Outcome, Summary, area_shape, incident_payload, summarise

__all__ = ["SimulatorConfig", "run"]

ENDED = {"incident.filled", "incident.exhausted", "incident.stood_down"}


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    url: str
    cad_key: str
    area: dict[str, Any]
    rate: float = 1.0  # incidents per second
    duration_s: float = 10.0
    linger_s: float = 60.0  # after the last post, wait this long at most for incidents to end
    close_after_s: float | None = 5.0  # close a filled incident this long after it filled; None: never
    callback_host: str = "127.0.0.1"
    public_share: float = 0.6
    ambulance_eta: tuple[float, float] | None = None
    flags: tuple[tuple[str, float], ...] = ()
    categories: tuple[tuple[str, int], ...] = CATEGORIES
    seed: int | None = None
    progress: bool = True
    # Simulated responders (needs the trust admin key): how many, how keen, how long they think.
    responders: int = 0
    admin_key: str | None = None
    trust_id: str | None = None
    accept_share: float = 0.7
    think_s: float = 5.0
    travel_s: float = 0.0  # simulated responders who are assigned go to the scene in this long (0: they stay)

    @property
    def total(self) -> int:
        return max(1, round(self.rate * self.duration_s))


async def _post(client: httpx.AsyncClient, body: dict[str, Any]) -> Outcome:
    posted_at = time.time()
    try:
        r = await client.post("/v1/incidents", json=body)
    except httpx.HTTPError as exc:
        print(f"post {body['cad_ref']} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return Outcome(body["cad_ref"], posted_at, 0)
    data = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if r.status_code not in (200, 201):
        detail = r.json().get("detail") if "json" in r.headers.get("content-type", "") else r.text[:200]
        print(f"post {body['cad_ref']} refused: {r.status_code} {detail}", file=sys.stderr)
    return Outcome(body["cad_ref"], posted_at, r.status_code, data.get("id"), int(data.get("alerted", 0) or 0))


def _closer(client: httpx.AsyncClient, delay_s: float | None, closes: list[asyncio.Task]):
    """A receiver hook: once an incident fills, close it after a while, as a dispatcher would."""
    closing: set[str] = set()

    async def close(incident_id: str) -> bool:
        await asyncio.sleep(delay_s or 0)
        r = await client.post(f"/v1/incidents/{incident_id}/close")
        if r.status_code != 200:
            print(f"closing {incident_id} failed: {r.status_code}", file=sys.stderr)
        return r.status_code == 200

    def respond(attempt: Attempt) -> int:
        incident_id = (attempt.body or {}).get("incident_id")
        if delay_s is not None and attempt.event == "incident.filled" and incident_id and incident_id not in closing:
            closing.add(incident_id)
            closes.append(asyncio.get_running_loop().create_task(close(incident_id)))
        return 200

    return respond


async def _start_bots(cfg: SimulatorConfig, area, rng: random.Random) -> list[asyncio.Task]:
    if cfg.responders <= 0:
        return []
    if not (cfg.admin_key and cfg.trust_id):
        raise ValueError("simulated responders need the trust's admin key and id")
    tokens = await register(cfg.url, cfg.admin_key, cfg.trust_id, cfg.responders)
    bots = [
        ResponderBot(
            socket_url(cfg.url), token, area, random.Random(rng.random()), cfg.accept_share, cfg.think_s, cfg.travel_s
        )
        for token in tokens.values()
    ]
    tasks = [asyncio.create_task(bot.run()) for bot in bots]
    for bot, task in zip(bots, tasks, strict=True):
        ready = asyncio.create_task(bot.ready.wait())
        await asyncio.wait({ready, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if task.done():
            await _stop_bots(tasks)
            task.result()  # raises why the responder could not connect
        if not bot.ready.is_set():
            await _stop_bots(tasks)
            raise TimeoutError("a simulated responder was not placed within 30 s")
    return tasks


async def _stop_bots(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, Exception):
            print(f"a simulated responder stopped with an error: {type(result).__name__}: {result}", file=sys.stderr)


async def run(cfg: SimulatorConfig, *, stream: TextIO = sys.stderr) -> Summary:
    area = area_shape(cfg.area)
    rng = random.Random(cfg.seed)
    run_id = uuid.uuid4().hex[:6]
    headers = {"Authorization": f"Bearer {cfg.cad_key}"}
    closes: list[asyncio.Task] = []
    outcomes: list[Outcome] = []
    bots = await _start_bots(cfg, area, rng)
    async with httpx.AsyncClient(base_url=cfg.url, headers=headers, timeout=30) as client:
        receiver = WebhookReceiver(keys=[cfg.cad_key], respond=_closer(client, cfg.close_after_s, closes))
        callback = await receiver.start(cfg.callback_host)
        closed = 0
        bar = tqdm(total=cfg.total, desc="posted", unit="incident", file=stream, disable=not cfg.progress)
        try:
            loop = asyncio.get_running_loop()
            start = loop.time()
            posts: list[asyncio.Task] = []

            async def one(n: int) -> None:
                body = incident_payload(
                    n,
                    run_id,
                    area,
                    rng,
                    callback_url=callback,
                    public_share=cfg.public_share,
                    ambulance_eta=cfg.ambulance_eta,
                    flags=cfg.flags,
                    categories=cfg.categories,
                )
                outcomes.append(await _post(client, body))
                accepted = len({e["incident_id"] for e in receiver.events if e["event"] == "responder.accepted"})
                bar.set_postfix(alerted=sum(o.alerted > 0 for o in outcomes), accepted=accepted, refresh=False)
                bar.update(1)

            for n in range(cfg.total):
                # Paced against the start, so a slow answer does not stretch the run.
                await asyncio.sleep(max(0.0, start + n / cfg.rate - loop.time()))
                posts.append(asyncio.create_task(one(n)))
            await asyncio.gather(*posts)
            bar.close()
            waiting = {o.incident_id for o in outcomes if o.status == 201 and o.incident_id}
            if waiting and cfg.progress:
                print(f"waiting up to {cfg.linger_s:g} s for {len(waiting)} incidents to end", file=stream)

            def ended(rc: WebhookReceiver) -> bool:
                done = {e["incident_id"] for e in rc.events if e["event"] in ENDED}
                if cfg.travel_s > 0:  # a filled incident is over for the run once its responder reported CPR
                    done -= {e["incident_id"] for e in rc.events if e["event"] == "incident.filled"}
                    done |= {e["incident_id"] for e in rc.events if e.get("status") == "cpr_started"}
                return waiting <= done

            try:
                await receiver.wait_for(ended, timeout=cfg.linger_s)
            except TimeoutError:
                pass  # the linger is a bound on the run, not an error: the summary says what ended
        finally:
            bar.close()
            await receiver.stop()  # no more events, so no more closes get scheduled
            for result in await asyncio.gather(*closes, return_exceptions=True):
                if isinstance(result, BaseException):
                    print(f"closing an incident failed: {type(result).__name__}: {result}", file=sys.stderr)
                closed += result is True
            await _stop_bots(bots)
    return summarise(
        outcomes,
        receiver.events,
        attempts=len(receiver.attempts),
        bad_signatures=sum(not a.verified for a in receiver.attempts),
        closed=closed,
    )
