"""Where an idle responder socket's memory goes, by tracemalloc in the API process.

Starts one API process (`python -m alerting serve`, with `bench/tracemalloc_hook` loaded), seeds
2N responders with tokens, connects N sockets (each signed in and `ready`), snapshots, connects N
more, snapshots again, and prints the difference divided by N: the bytes each further idle socket
keeps, grouped by line and by traceback, and the objects it keeps by type. Snapshots are taken
after a collection, so this is live memory; the cyclic garbage found then is printed too. RSS per
socket, the recorded figure, is `bench/e2e.py`'s; this says where it goes.

    .venv/bin/python bench/socket_memory.py --sockets 1000
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import pickle
import signal
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _e2e():
    spec = importlib.util.spec_from_file_location("bench_e2e", ROOT / "bench" / "e2e.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def measure(n: int, out: Path) -> None:
    import httpx
    import websockets

    from tests.support.processes import ApiNode
    from tests.support.stack import create_pg_database, drop_pg_database, make_settings, migrate

    e2e = _e2e()
    url, dbname = await create_pg_database()
    await asyncio.to_thread(migrate, url)
    settings = make_settings(url)
    env = {
        "ALERTING_LOG_LEVEL": "WARNING",
        "ALERTING_DB_POOL_SIZE": "5",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "bench" / "tracemalloc_hook"), str(ROOT)]),
        "BENCH_TRACEMALLOC_DIR": str(out),
    }
    node = ApiNode(settings, "memory", env)
    node.start()
    sockets = []
    try:
        await asyncio.to_thread(node.wait_ready, 60)
        e2e.BASE = node.base_url
        _trust, _cad, tokens, *_ = await e2e.seed(settings, 2 * n, 2 * n)
        httpx.get(f"{node.base_url}/readyz")
        gate = asyncio.Semaphore(50)

        async def snapshot(i: int) -> None:
            assert node.proc is not None
            os.kill(node.proc.pid, signal.SIGUSR1)
            while not (out / f"done{i}").exists():
                await asyncio.sleep(0.2)  # the hook writes a file when done: poll for it

        async def connect(token: str) -> None:
            async with gate:
                ws = await websockets.connect(
                    f"{node.ws_url}?token={token}", ping_interval=None, compression=None, open_timeout=60
                )
                assert json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] == "ready"
                sockets.append(ws)

        await snapshot(1)  # starts tracing
        await asyncio.gather(*(connect(t) for t in tokens[:n]))
        await snapshot(2)
        await asyncio.gather(*(connect(t) for t in tokens[n:]))
        await snapshot(3)
    finally:
        for ws in sockets:
            await ws.close()
        node.stop()
        await drop_pg_database(dbname)


def report(out: Path, n: int, lines: int) -> None:
    first = tracemalloc.Snapshot.load(str(out / "snapshot2.tm"))
    second = tracemalloc.Snapshot.load(str(out / "snapshot3.tm"))
    info = [pickle.loads((out / f"info{i}.pickle").read_bytes()) for i in (2, 3)]
    shorten = [(str(ROOT) + "/", ""), (".venv/lib/python3.11/site-packages/", ""), (sys.prefix + "/", "")]

    def where(frame: tracemalloc.Frame) -> str:
        name = frame.filename
        for a, b in shorten:
            name = name.replace(a, b)
        return f"{name}:{frame.lineno}"

    total = sum(s.size_diff for s in second.compare_to(first, "filename"))
    print(f"traced per idle socket (live, between {n} and {2 * n} sockets): {total / n:,.0f} B")
    print(
        "cyclic garbage found at the snapshots, per socket: "
        + ", ".join(f"{i['garbage_bytes'] / n:,.0f} B" for i in info)
    )
    kept = info[1]["types"] - info[0]["types"]
    print("objects per socket: " + ", ".join(f"{k} {v / n:.2f}" for k, v in kept.most_common(30)))
    print("\nper socket, by line:")
    for s in second.compare_to(first, "lineno")[:lines]:
        print(f"{s.size_diff / n:8,.0f} B {s.count_diff / n:6.2f} blocks  {where(s.traceback[0])}")
    print("\nper socket, by traceback (innermost last):")
    for s in second.compare_to(first, "traceback")[:lines]:
        print(f"{s.size_diff / n:8,.0f} B {s.count_diff / n:6.2f} blocks")
        for frame in list(s.traceback)[-6:]:
            print(f"        {where(frame)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000, help="N: the difference is between N and 2N")
    parser.add_argument("--lines", type=int, default=40, help="how many lines and tracebacks to print")
    parser.add_argument("--keep", metavar="DIR", help="keep the snapshots here (default: a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep or tmp)
        out.mkdir(parents=True, exist_ok=True)
        asyncio.run(measure(args.sockets, out))
        report(out, args.sockets, args.lines)
