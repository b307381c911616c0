"""End-to-end delivery benchmark: CAD POST to alert frame on a real socket, through real processes.

One or more API processes (`python -m alerting serve`, `--api-processes`) and a worker on
loopback, PostgreSQL and Redis; N responders in SQL and the live index; K websocket clients held by
a separate client process (this file with `--client`), spread over the API processes in turn, as
is the CAD's posting (as a load balancer would), so with two or more most alerts cross processes
through Redis. Measured in one run:

- RSS per idle socket: the API processes' RSS before and after the K sockets are connected.
- Location ingest over the sockets, end to end (admitted and written to the index), against raw
  pipelined GEOADD of as many points from one client, measured in the same run.
- POST-to-alert-frame latency at each CAD rate (open loop: posts are sent on schedule, not after
  the previous answer), and alerts delivered against expected (the incident's alerted responders
  that hold a socket).

    .venv/bin/python bench/e2e.py --sockets 10000 --responders 10000

Client and server share the host clock, so a frame's latency is its receive time minus the time
the POST was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAT0, LAT1, LON0, LON1 = 53.70, 53.90, -1.70, -1.40
AREA = {"type": "Polygon", "coordinates": [[[LON0, LAT0], [LON1, LAT0], [LON1, LAT1], [LON0, LAT1], [LON0, LAT0]]]}
M_PER_DEG_LAT = 111_195.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(53.8))


def grid(n: int) -> tuple[list[tuple[float, float]], float]:
    """n points evenly over the area, and their spacing in metres."""
    height, width = (LAT1 - LAT0) * M_PER_DEG_LAT, (LON1 - LON0) * M_PER_DEG_LON
    spacing = math.sqrt(height * width / n)
    while math.floor(height / spacing) * math.floor(width / spacing) < n:
        spacing *= 0.99  # whole rows and columns only, so every point (and incident) is inside the area
    rows, cols = math.floor(height / spacing), math.floor(width / spacing)
    points = [
        (LAT0 + (r + 0.5) * spacing / M_PER_DEG_LAT, LON0 + (c + 0.5) * spacing / M_PER_DEG_LON)
        for r in range(rows)
        for c in range(cols)
    ]
    return points[:n], spacing


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_pids(pgid: int) -> list[int]:
    """Every live process in a process group: the worker's Celery parent and its forked children."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                out.append(int(entry.name))
    return out


def cpu_of(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            out[pid] = cpu_s(pid)
        except OSError:
            pass  # ended meanwhile
    return out


class CpuMeter:
    """CPU seconds per role over a phase. The API and worker are process groups (forks included);
    PostgreSQL is the backends connected to this run's database (pg_stat_activity, read at both
    ends); Redis is the shared server (other work on the box may use it too)."""

    def __init__(self, roles: dict[str, Callable[[], Awaitable[list[int]]]]):
        self.roles = roles
        self.start: dict[str, dict[int, float]] = {}

    async def begin(self) -> None:
        self.start = {role: cpu_of(await pids()) for role, pids in self.roles.items()}

    async def end(self) -> dict[str, float]:
        used = {}
        for role, pids in self.roles.items():
            before = self.start[role]
            now = cpu_of(sorted(set(await pids()) | set(before)))
            used[role] = sum(now[p] - before.get(p, 0.0) for p in now)
        return used


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# ---------------------------------------------------------------- the client process


async def client_main(ws_urls: str, tokens_file: str, ack: bool) -> None:
    import websockets

    tokens: list[str] = json.loads(Path(tokens_file).read_text())
    urls = ws_urls.split(",")
    alerts: list[tuple[str, int, float]] = []  # (incident id, socket index, receive time)
    resent: list[tuple[str, int, float]] = []  # the same, from `ready.pending` after a reconnect
    pongs: dict[int, asyncio.Event] = {}
    errors = {"rate_limited": 0, "other": 0, "closed": 0, "connect_failed": 0, "reconnected": 0}
    sockets: list = [None] * len(tokens)
    gate = asyncio.Semaphore(100)
    quitting = False

    async def reader(i: int, ws) -> None:
        try:
            async for text in ws:
                frame = json.loads(text)
                kind = frame["type"]
                if kind == "alert":
                    alerts.append((frame["incident_id"], i, time.time()))
                    if ack:
                        await ws.send(json.dumps({"type": "ack", "alert_id": frame["alert_id"]}))
                elif kind == "pong":
                    pongs[i].set()
                elif kind == "error":
                    errors["rate_limited" if frame["code"] == "rate_limited" else "other"] += 1
        except websockets.ConnectionClosed:
            errors["closed"] += 1
            if not quitting:  # as the app does: connect again, and take the open alerts from `ready`
                asyncio.create_task(connect(i, again=True))

    async def connect(i: int, again: bool = False) -> None:
        for _attempt in range(3):  # a busy server may answer 1013 "try again later"
            async with gate:
                try:
                    ws = await websockets.connect(
                        f"{urls[i % len(urls)]}?token={tokens[i]}",
                        ping_interval=None,
                        max_size=2**16,
                        compression=None,
                        open_timeout=60,
                    )
                    ready = json.loads(await asyncio.wait_for(ws.recv(), 60))
                except (OSError, TimeoutError, websockets.WebSocketException):
                    errors["connect_failed"] += 1
                    continue
            assert ready["type"] == "ready", ready
            sockets[i] = ws
            if again:
                errors["reconnected"] += 1
                for frame in ready["pending"]:
                    resent.append((frame["incident_id"], i, time.time()))
                    if ack:
                        await ws.send(json.dumps({"type": "ack", "alert_id": frame["alert_id"]}))
            asyncio.create_task(reader(i, ws))
            return
        raise RuntimeError(f"socket {i} could not connect")

    started = time.perf_counter()
    await asyncio.gather(*(connect(i) for i in range(len(tokens))))
    print(json.dumps({"connected": len(tokens), "seconds": time.perf_counter() - started, **errors}), flush=True)

    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while line := (await stdin.readline()).decode().strip():
        cmd, *arg = line.split()
        if cmd == "ingest":
            per_socket = int(arg[0])
            errors["rate_limited"] = errors["other"] = 0
            rng = random.Random(1)
            t0 = time.perf_counter()

            async def burst(i: int, per_socket: int, rng: random.Random) -> None:
                pongs[i] = asyncio.Event()
                for _ in range(per_socket):
                    lat, lon = LAT0 + rng.random() * (LAT1 - LAT0), LON0 + rng.random() * (LON1 - LON0)
                    await sockets[i].send(json.dumps({"type": "location", "lat": lat, "lon": lon}))
                await sockets[i].send('{"type":"ping"}')
                await asyncio.wait_for(pongs[i].wait(), 300)

            await asyncio.gather(*(burst(i, per_socket, rng) for i in range(len(sockets))))
            print(
                json.dumps({"sent": per_socket * len(sockets), "seconds": time.perf_counter() - t0, **errors}),
                flush=True,
            )
        elif cmd == "await":
            want, deadline = int(arg[0]), time.monotonic() + float(arg[1])
            while len(alerts) < want and time.monotonic() < deadline:
                await asyncio.sleep(0.05)  # a benchmark's drain, not a test: a bounded poll is fine here
            print(json.dumps({"alerts": alerts, "resent": resent, "errors": errors}), flush=True)
        elif cmd == "quit":
            quitting = True
            break
    for ws in sockets:
        await ws.close()


# ---------------------------------------------------------------- the orchestrator


async def seed(settings, n: int, k: int) -> tuple[str, str, list[str], list[int], float, list[tuple[float, float]]]:
    """The trust over HTTP; N responders, their positions and K tokens straight into SQL and Redis."""
    import httpx

    from alerting.services import auth
    from alerting.services.context import build_services
    from alerting.store.models import Credential, Responder
    from alerting.timefmt import utc
    from geo.index import LocationUpdate, Profile

    points, spacing = grid(n)
    radius = min(20_000.0, max(50.0, RADIUS_FACTOR * spacing))
    async with httpx.AsyncClient(
        base_url=BASE, timeout=60, headers={"Authorization": f"Bearer {settings.operator_token}"}
    ) as op:
        body = (await op.post("/v1/trusts", json={"name": "bench", "area": AREA})).json()
    trust_id, admin_key, cad_key = body["id"], body["admin_key"], body["cad_key"]
    async with httpx.AsyncClient(base_url=BASE, timeout=60, headers={"Authorization": f"Bearer {admin_key}"}) as adm:
        r = await adm.post(f"/v1/trusts/{trust_id}/groups", json={"id": "staff", "name": "Staff", "trusted": True})
        assert r.status_code == 201, r.text
        r = await adm.put(
            f"/v1/trusts/{trust_id}/policy",
            json={
                "phases": [{"name": "all", "groups": ["staff"], "radius_m": radius, "delay_s": 0}],
                "accept_limit": 2,
                "alert_ttl_s": 900,
                "categories": ["*"],
                "location_max_age_s": 3600,
            },
        )
        assert r.status_code == 200, r.text

    services = build_services(settings)
    now = time.time()
    step = max(1, n // k)
    with_socket = list(range(0, n, step))[:k]
    tokens = []
    try:
        for start in range(0, n, 5000):
            chunk = range(start, min(n, start + 5000))
            async with services.sessions() as session, session.begin():
                session.add_all(
                    [
                        Responder(
                            trust_id=trust_id,
                            id=f"r{i}",
                            name=f"R {i}",
                            groups=["staff"],
                            skills=[],
                            status="active",
                            created_at=utc(now),
                            updated_at=utc(now),
                        )
                        for i in chunk
                    ]
                )
            await services.index.set_profiles(trust_id, [Profile(f"r{i}", ("staff",), True) for i in chunk], now=now)
            await services.index.upsert_many(trust_id, [LocationUpdate(f"r{i}", *points[i], 10.0, now) for i in chunk])
        async with services.sessions() as session, session.begin():
            for i in with_socket:
                token = auth.mint(auth.RESPONDER)
                tokens.append(token)
                session.add(
                    Credential(
                        id=uuid.uuid4().hex,
                        token_hash=auth.token_hash(token),
                        kind=auth.RESPONDER,
                        trust_id=trust_id,
                        responder_id=f"r{i}",
                        created_at=utc(now),
                    )
                )
    finally:
        await services.aclose()
    return trust_id, cad_key, tokens, with_socket, radius, points


async def put_back(settings, trust_id: str, with_socket: list[int], points) -> None:
    """The ingest phase scatters the socket holders at random; put them back on their grid points so
    each CAD incident (5 m from a socket holder's grid point) has that holder in range."""
    from alerting.services.context import build_services
    from geo.index import LocationUpdate

    services = build_services(settings)
    try:
        now = time.time()
        await services.index.upsert_many(
            trust_id, [LocationUpdate(f"r{i}", *points[i], 10.0, now) for i in with_socket]
        )
    finally:
        await services.aclose()


async def raw_geoadd(redis_url: str, count: int) -> float:
    """Points per second for pipelined GEOADD from one client, batches of 1,000: the floor of the index."""
    from redis.asyncio import Redis

    rng = random.Random(2)
    key = f"bench-raw-{uuid.uuid4().hex}"
    async with Redis.from_url(redis_url) as redis:
        t0 = time.perf_counter()
        for start in range(0, count, 1000):
            pipe = redis.pipeline(transaction=False)
            for i in range(start, min(count, start + 1000)):
                pipe.geoadd(key, (LON0 + rng.random() * 0.3, LAT0 + rng.random() * 0.2, f"r{i}"))
            await pipe.execute()
        seconds = time.perf_counter() - t0
        await redis.delete(key)
    return count / seconds


async def post_at_rate(
    cad_key: str, rate: float, seconds: float, points, with_socket, tag: str, in_flight: int, bases: list[str]
):
    """Open loop: one POST due every 1/rate s whatever the answers do (at most `in_flight` at once, as a
    CAD's connection pool would). Latency counts from when a POST was due, so queueing is not hidden.
    Returns (incident id, due at) pairs and the failures."""
    import httpx

    sent: list[tuple[str, float]] = []
    failures: list[str] = []
    rng = random.Random(hash(tag) & 0xFFFF)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    gate = asyncio.Semaphore(in_flight)
    cads = [
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits, headers={"Authorization": f"Bearer {cad_key}"})
        for base in bases
    ]
    try:

        async def one(j: int, due: float) -> None:
            lat, lon = points[rng.choice(with_socket)]
            body = {
                "cad_ref": f"{tag}-{j}",
                "lat": lat + 5 / M_PER_DEG_LAT,
                "lon": lon,
                "category": "09-E-01",
                "location_type": "public",
            }
            try:
                async with gate:
                    r = await cads[j % len(cads)].post("/v1/incidents", json=body)
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__}")
                return
            if r.status_code == 201:
                sent.append((r.json()["id"], due))
            else:
                failures.append(f"{r.status_code} {r.text[:200]}")

        tasks = []
        start, wall = time.perf_counter(), time.time()
        for j in range(int(rate * seconds)):
            delay = start + j / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(j, wall + j / rate)))
        await asyncio.gather(*tasks)
    finally:
        for cad in cads:
            await cad.aclose()
    return sent, failures


async def expected_pairs(cad_key: str, incidents: list[str], socket_ids: set[str]) -> set[tuple[str, str]]:
    import httpx

    out: set[tuple[str, str]] = set()
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=BASE, timeout=60, headers={"Authorization": f"Bearer {cad_key}"}) as cad:

        async def one(incident_id: str) -> None:
            async with gate:
                answer = await cad.get(f"/v1/incidents/{incident_id}")
            answer.raise_for_status()
            for r in answer.json()["responders"]:
                if r["id"] in socket_ids:
                    out.add((incident_id, r["id"]))

        await asyncio.gather(*(one(i) for i in incidents))
    return out


async def py_spy(pid: int, out: str | None, *, subprocesses: bool = False):
    """Samples only while the process holds the GIL, so waiting on the network is not counted as work."""
    if not out:
        return None
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--rate",
        "500",
        "--nonblocking",
        "--gil",
        *(["--subprocesses"] if subprocesses else []),
        "-o",
        out,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop(profiler) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        await profiler.wait()


async def command(proc, line: str, timeout: float = 600) -> dict:
    proc.stdin.write((line + "\n").encode())
    await proc.stdin.drain()
    return json.loads(await asyncio.wait_for(proc.stdout.readline(), timeout))


async def ingest_phase(args, settings, client, nodes, pids: dict[str, list[int]], report: dict) -> None:
    """Location frames over every socket, against raw pipelined GEOADD in the same run."""
    step("location ingest")
    profiler = await py_spy(nodes[0].proc.pid, args.profile_ingest)
    cpu_before = {k: sum(cpu_s(p) for p in v) for k, v in pids.items()}
    ingest = await command(client, f"ingest {args.ingest_per_socket}")
    cpu_used = {k: round(sum(cpu_s(p) for p in v) - cpu_before[k], 2) for k, v in pids.items()}
    await stop(profiler)
    admitted = ingest["sent"] - ingest["rate_limited"] - ingest["other"]
    raw = await raw_geoadd(settings.redis_url, max(ingest["sent"], 100_000))
    e2e_rate = admitted / ingest["seconds"]
    report["ingest"] = {
        "sent": ingest["sent"],
        "admitted": admitted,
        "per_s": round(e2e_rate),
        "raw_geoadd_per_s": round(raw),
        "ratio": round(e2e_rate / raw, 3),
        "seconds": round(ingest["seconds"], 2),
        "cpu_s": cpu_used,
    }
    print(json.dumps(report["ingest"]), flush=True)
    await asyncio.sleep(1)  # let the API's location batcher flush the last frames first


async def main(args: argparse.Namespace) -> None:
    global BASE
    from tests.support.processes import ApiNode, NodeWorker
    from tests.support.stack import create_pg_database, drop_pg_database, make_settings, migrate

    url, dbname = await create_pg_database()
    await asyncio.to_thread(migrate, url)
    settings = make_settings(url)
    env = {
        "ALERTING_LOCATION_RATE_PER_S": "1000",
        "ALERTING_LOCATION_BURST": "1000",
        "ALERTING_LOG_LEVEL": "WARNING",
        "ALERTING_DB_POOL_SIZE": "5",
        "ALERTING_WS_SEND_QUEUE": "256",
        # the CAD key's rate limit (20/s, bursts of 100) would refuse most of the 100/s phase with 429
        # and the read-back after it: this measures delivery, so the limit is lifted out of the way
        "ALERTING_RATE_LIMIT_CAD_PER_S": "100000",
        "ALERTING_RATE_LIMIT_CAD_BURST": "100000",
    }
    nodes = [ApiNode(settings, f"bench{n}", env) for n in range(args.api_processes)]
    worker = NodeWorker(settings, env)
    for node in nodes:
        node.start()
    worker.start()
    client = None
    tokens_file = ROOT / "var" / f"bench-tokens-{os.getpid()}.json"
    report: dict = {"sockets": args.sockets, "responders": args.responders, "api_processes": args.api_processes}
    try:
        step("starting the API process and the worker")
        for node in nodes:
            await asyncio.to_thread(node.wait_ready)
        BASE = nodes[0].base_url
        step("seeding responders")
        t = time.perf_counter()
        trust_id, cad_key, tokens, with_socket, radius, points = await seed(settings, args.responders, args.sockets)
        report.update(seed_s=round(time.perf_counter() - t, 1), radius_m=round(radius))
        tokens_file.write_text(json.dumps(tokens))
        socket_index = {i: f"r{rid}" for i, rid in enumerate(with_socket)}

        import httpx

        for node in nodes:
            httpx.get(f"{node.base_url}/readyz")  # warm the process before measuring its idle size
        rss_before = sum(rss_kib(node.proc.pid) for node in nodes)
        step("connecting sockets")
        client = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--client",
            ",".join(node.ws_url for node in nodes),
            str(tokens_file),
            "--ack" if args.ack else "--no-ack",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**28,
        )
        connected = json.loads(await asyncio.wait_for(client.stdout.readline(), 900))
        rss_after = sum(rss_kib(node.proc.pid) for node in nodes)
        report.update(
            connect_s=round(connected["seconds"], 1),
            rss_before_mib=round(rss_before / 1024, 1),
            rss_after_mib=round(rss_after / 1024, 1),
            rss_per_idle_socket_kib=round((rss_after - rss_before) / len(tokens), 1),
        )
        print(json.dumps(report), flush=True)

        from redis.asyncio import Redis

        async with Redis.from_url(settings.redis_url) as redis:
            redis_pid = int((await redis.info("server"))["process_id"])
        pids = {"api": [n.proc.pid for n in nodes], "client": [client.pid], "redis": [redis_pid]}
        if args.ingest_per_socket > 0:
            await ingest_phase(args, settings, client, nodes, pids, report)
        await put_back(settings, trust_id, with_socket, points)

        async def pg_backends() -> list[int]:
            import asyncpg

            conn = await asyncpg.connect(url)
            try:
                rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", dbname)
            finally:
                await conn.close()
            return [r["pid"] for r in rows if r["pid"] != conn.get_server_pid()]

        async def fixed(ps: list[int]) -> list[int]:
            return ps

        roles: dict[str, Callable[[], Awaitable[list[int]]]] = {
            "api": lambda: fixed([p for n in nodes for p in group_pids(n.proc.pid)]),
            "worker": lambda: fixed(group_pids(worker.proc.pid)),
            "postgres": pg_backends,
            "redis": lambda: fixed([redis_pid]),
            "sockets_client": lambda: fixed([client.pid]),
            "cad_client": lambda: fixed([os.getpid()]),
        }

        all_sent: list[tuple[str, float]] = []
        per_rate: dict[float, list[tuple[str, float]]] = {}
        report["post_failures"] = []
        meter = CpuMeter(roles)
        if args.idle > 0:  # what the processes cost doing nothing: subtracted from nothing, reported
            step(f"idle for {args.idle:g} s")
            await meter.begin()
            await asyncio.sleep(args.idle)
            idle = await meter.end()
            report["idle_cpu_ms_per_s"] = {role: round(1000 * s / args.idle, 1) for role, s in idle.items()}
            print(json.dumps({"idle_cpu_ms_per_s": report["idle_cpu_ms_per_s"]}), flush=True)
        profiler = await py_spy(nodes[0].proc.pid, args.profile)
        worker_profiler = await py_spy(worker.proc.pid, args.profile_worker, subprocesses=True)
        for rate in args.rates:
            step(f"posting at {rate:g}/s")
            await meter.begin()
            load_before = os.getloadavg()[0]
            sent, failures = await post_at_rate(
                cad_key,
                rate,
                args.seconds,
                points,
                with_socket,
                f"R{rate:g}",
                args.in_flight,
                [node.base_url for node in nodes],
            )
            await asyncio.sleep(args.settle)  # the frames, acks and worker tasks of the last posts
            used = await meter.end()
            per_rate[rate] = sent
            all_sent += sent
            report["post_failures"] += failures[:5]
            report[f"rate_{rate:g}_post_failures"] = len(failures)
            cpu_ms = {role: round(1000 * s / max(1, len(sent)), 2) for role, s in used.items()}
            server = ("api", "worker", "postgres", "redis")
            cpu_ms["server_total"] = round(sum(cpu_ms[r] for r in server), 2)
            report[f"rate_{rate:g}_cpu_ms_per_incident"] = cpu_ms
            report[f"rate_{rate:g}_load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            print(
                json.dumps(
                    {"rate": rate, "created": len(sent), "failed": len(failures), "cpu_ms_per_incident": cpu_ms}
                ),
                flush=True,
            )
        await stop(profiler)
        await stop(worker_profiler)
        step("collecting frames")
        expected = await expected_pairs(cad_key, [i for i, _ in all_sent], set(socket_index.values()))
        dump = await command(client, f"await {len(expected)} {args.drain}", timeout=args.drain + 600)
        got, report["client_errors"] = dump["alerts"], dump["errors"]
        received = {}
        for incident_id, i, at in got:
            received.setdefault((incident_id, socket_index[i]), at)
        live = set(received)
        for incident_id, i, at in dump["resent"]:  # a socket the server closed, connected again
            received.setdefault((incident_id, socket_index[i]), at)
        sent_at = dict(all_sent)
        for rate, sent in per_rate.items():
            ids = {i for i, _ in sent}
            exp = {p for p in expected if p[0] in ids}
            lat_ms = [(received[p] - sent_at[p[0]]) * 1000 for p in exp if p in received]
            report[f"rate_{rate:g}_per_s"] = {
                "incidents": len(sent),
                "alerts_expected": len(exp),
                "alerts_delivered": len(lat_ms),
                "delivered_only_on_reconnect": sum(1 for p in exp if p in received and p not in live),
                "duplicates": sum(1 for inc, i, _ in got if inc in ids) - sum(1 for p in live if p[0] in ids),
                "p50_ms": round(statistics.median(lat_ms), 1) if lat_ms else None,
                "p99_ms": round(percentile(lat_ms, 0.99), 1) if lat_ms else None,
                "max_ms": round(max(lat_ms), 1) if lat_ms else None,
            }
    finally:
        if client is not None and client.returncode is None:
            client.stdin.write(b"quit\n")
            await client.stdin.drain()
            await asyncio.wait_for(client.wait(), 60)
        tokens_file.unlink(missing_ok=True)
        for node in nodes:
            node.stop()
        worker.stop()
        from redis.asyncio import Redis

        async with Redis.from_url(settings.redis_url) as redis:
            keys = [k async for k in redis.scan_iter(match=f"{settings.redis_prefix}*", count=5000)]
            for i in range(0, len(keys), 1000):
                await redis.delete(*keys[i : i + 1000])
        await drop_pg_database(dbname)
    print(json.dumps(report, indent=2), flush=True)


BASE = ""


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def step(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


RADIUS_FACTOR = 1.2  # the phase radius in grid spacings: about 4.5 responders alerted per incident

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", nargs=2, metavar=("WS_URL", "TOKENS_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--responders", type=int, default=10_000)
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 100], help="CAD posts per second, in turn")
    parser.add_argument("--rate", type=float, action="append", help="a CAD rate instead of --rates (repeatable)")
    parser.add_argument("--seconds", "--duration", type=float, default=10, help="how long each rate runs")
    parser.add_argument(
        "--settle", type=float, default=2, help="seconds after each rate's last POST still counted in its CPU"
    )
    parser.add_argument("--idle", type=float, default=5, help="seconds of CPU measured with nothing posted first")
    parser.add_argument(
        "--drain", type=float, default=120, help="seconds the clients wait for the last expected frames"
    )
    parser.add_argument("--ingest-per-socket", type=int, default=5, help="0 skips the ingest phase")
    parser.add_argument(
        "--api-processes",
        type=int,
        default=1,
        help="API processes sharing sockets and CAD posts, as behind a load balancer",
    )
    parser.add_argument("--in-flight", type=int, default=100, help="the CAD's concurrent POSTs at most")
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy the (first) API process during the CAD phases (collapsed stacks)"
    )
    parser.add_argument("--profile-ingest", metavar="FILE", help="the same during the location ingest")
    parser.add_argument(
        "--profile-worker", metavar="FILE", help="py-spy the worker (and its forks) during the CAD phases"
    )
    parser.add_argument(
        "--ack",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="clients acknowledge each alert, as the app does",
    )
    a = parser.parse_args()
    a.rates = a.rate or a.rates
    signal.signal(signal.SIGTERM, _interrupt)  # asyncio.run then cancels main, whose finally stops the processes
    if a.client:
        asyncio.run(client_main(a.client[0], a.client[1], a.ack))
    else:
        asyncio.run(main(a))
