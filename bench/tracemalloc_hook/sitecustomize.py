"""Loaded by `bench/socket_memory.py` into the API process it starts (this directory goes first on
its PYTHONPATH), and only when BENCH_TRACEMALLOC_DIR is set: each SIGUSR1 collects cyclic garbage
(noting how much there was), writes a tracemalloc snapshot and a count of live objects by type,
then touches a `done` file. The first signal also starts tracing, so start-up is not traced."""

import os

if os.environ.get("BENCH_TRACEMALLOC_DIR"):
    import collections
    import gc
    import pickle
    import signal
    import tracemalloc

    _taken = [0]

    def _snapshot(*_: object) -> None:
        _taken[0] += 1
        n, out = _taken[0], os.environ["BENCH_TRACEMALLOC_DIR"]
        if n == 1:
            tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "25")))
        before = tracemalloc.get_traced_memory()[0]
        garbage_objects = gc.collect()
        info = {"garbage_objects": garbage_objects, "garbage_bytes": before - tracemalloc.get_traced_memory()[0]}
        snapshot = tracemalloc.take_snapshot()
        info["types"] = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        snapshot.dump(f"{out}/snapshot{n}.tm")
        with open(f"{out}/info{n}.pickle", "wb") as f:
            pickle.dump(info, f)
        open(f"{out}/done{n}", "w").close()

    signal.signal(signal.SIGUSR1, _snapshot)
