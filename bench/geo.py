"""The live index at national scale: 1,000,000 responders in one trust, nearest-50, against PostGIS KNN.

    .venv/bin/python bench/geo.py [--responders 1000000] [--queries 500] [--rounds 1]

Builds a realistic trust (a dense city, suburbs, countryside; 10% available; three groups; positions
up to 30 minutes old against a 15-minute max age, so half of them are stale) and loads it twice:

- **ours**: through the index's own batched bulk write (`load_many`: each responder's profile and
  position in one record write, as the COPY carries group, availability and position in one row);
- **PostGIS** (the peer): a plain table (`id, grp, available, seen_at, geog geography(Point)`)
  filled by one binary COPY, then a partial GiST index on the available responders and ANALYZE,
  in a database of its own on the local PostgreSQL (`--pg`), dropped at the end. The bench installs
  Debian's `postgresql-15-postgis-3` with apt-get when the server has no PostGIS.

Then, single client, for 200 m, 1 km and 5 km around random points in the city, each query point
asked of both in turn (the order alternating, so machine noise falls on both alike):
(a) `ResponderIndex.nearest(limit=50)` over all three groups and (b) the same question of PostGIS,
`WHERE available AND seen_at >= now - max_age AND grp = ANY(groups) AND ST_DWithin(geog, p, r)
ORDER BY geog <-> p LIMIT 50`, through asyncpg (a prepared statement). Prints queries/s, p50 and
p99 for each and the ratio ours/PostGIS, as a Markdown table, for each of `--rounds` passes over
the same data, and how often both named the same responders (PostGIS measures on the spheroid,
ours on a sphere, so a responder right at the edge or a near-tie may differ). Everything it writes
to Redis is under its own prefix and deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.distance import M_PER_DEG_LAT
from geo.index import LocationUpdate, Profile, ResponderIndex

CITY = (53.80, -1.55)
GROUPS = ("staff", "volunteers", "community")
GROUP_SHARE = (0.1, 0.3, 0.6)
MAX_AGE_S = 900.0
RADII = (200.0, 1000.0, 5000.0)
LIMIT = 50
TRUST = "bench"
POSTGIS_PACKAGE = "postgresql-15-postgis-3"

KNN = """
SELECT id FROM responders
WHERE available AND seen_at >= $4 AND grp = ANY($5::text[])
  AND ST_DWithin(geog, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3)
ORDER BY geog <-> ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography
LIMIT 50
"""


def population(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """40% in a dense city (sigma 3 km), 35% in suburbs (sigma 12 km), 25% across 120 x 120 km."""
    kinds = rng.choice(3, size=n, p=(0.40, 0.35, 0.25))
    north = np.where(
        kinds == 0,
        rng.normal(0, 3_000, n),
        np.where(kinds == 1, rng.normal(0, 12_000, n), rng.uniform(-60_000, 60_000, n)),
    )
    east = np.where(
        kinds == 0,
        rng.normal(0, 3_000, n),
        np.where(kinds == 1, rng.normal(0, 12_000, n), rng.uniform(-60_000, 60_000, n)),
    )
    lat = CITY[0] + north / M_PER_DEG_LAT
    lon = CITY[1] + east / (M_PER_DEG_LAT * math.cos(math.radians(CITY[0])))
    return lat, lon


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "qps": len(samples) / sum(samples),
        "p50": statistics.median(ordered) * 1e3,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
    }


# --- the peer -------------------------------------------------------------------------------


async def ensure_postgis(conn: asyncpg.Connection) -> None:
    """Install Debian's PostGIS for the local server when it has none (the bench's own setup)."""
    if await conn.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"):
        return
    apt = shutil.which("apt-get")
    if apt is None:
        raise SystemExit(f"PostgreSQL has no PostGIS and there is no apt-get to install {POSTGIS_PACKAGE}")
    print(f"installing {POSTGIS_PACKAGE} ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "install", "-y", "--no-install-recommends", POSTGIS_PACKAGE], check=True, env=env)


def _ewkb_point(lonlat: tuple[float, float]) -> bytes:
    """A geography point as EWKB (little-endian, with SRID 4326): what geography_recv reads."""
    return struct.pack("<BIIdd", 1, 0x20000001, 4326, lonlat[0], lonlat[1])


async def _geography_codec(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("geography", schema="public", encoder=_ewkb_point, decoder=lambda b: b, format="binary")


def postgis_records(
    ids: list[str], group_of: np.ndarray, available: np.ndarray, seen: np.ndarray, lat: np.ndarray, lon: np.ndarray
) -> list[tuple[str, str, bool, datetime, tuple[float, float]]]:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    lats, lons, seens, avail, grp = lat.tolist(), lon.tolist(), seen.tolist(), available.tolist(), group_of.tolist()
    return [
        (ids[i], GROUPS[grp[i]], avail[i], epoch + timedelta(seconds=seens[i]), (lons[i], lats[i]))
        for i in range(len(ids))
    ]


PG_TABLE = (
    "CREATE TABLE responders (id text NOT NULL, grp text NOT NULL, available boolean NOT NULL,"
    " seen_at timestamptz NOT NULL, geog geography(Point, 4326) NOT NULL)"
)
PG_INDEX = (
    "CREATE INDEX responders_available_geog ON responders USING gist (geog) WHERE available",
    "ANALYZE responders",
)


async def bulk_load(
    index: ResponderIndex,
    pg: asyncpg.Connection,
    ids: list[str],
    group_of: np.ndarray,
    available: np.ndarray,
    ages: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    now: float,
) -> tuple[float, float]:
    """Seconds for ours and for PostGIS, loaded interleaved: ten slices, each
    into ours and into PostGIS in turn (the order alternating), then PostGIS's index is built."""
    n = len(ids)
    profiles = [Profile(ids[i], (GROUPS[group_of[i]],), True, bool(available[i])) for i in range(n)]
    updates = [LocationUpdate(ids[i], float(lat[i]), float(lon[i]), 10.0, now - float(ages[i])) for i in range(n)]
    records = postgis_records(ids, group_of, available, now - ages, lat, lon)
    await pg.execute(PG_TABLE)
    times = {"ours": 0.0, "pg": 0.0}
    step = max(1, -(-n // 10))
    for k, start in enumerate(range(0, n, step)):
        part = slice(start, start + step)

        async def load_ours(part: slice = part) -> None:
            t0 = time.perf_counter()
            await index.load_many(TRUST, profiles[part], updates[part], now=now)
            times["ours"] += time.perf_counter() - t0

        async def load_peer(part: slice = part) -> None:
            t0 = time.perf_counter()
            await pg.copy_records_to_table("responders", records=records[part])
            times["pg"] += time.perf_counter() - t0

        for load in (load_ours, load_peer) if k % 2 == 0 else (load_peer, load_ours):
            await load()
    t0 = time.perf_counter()
    for statement in PG_INDEX:
        await pg.execute(statement)
    times["pg"] += time.perf_counter() - t0
    return times["ours"], times["pg"]


# --- the run --------------------------------------------------------------------------------


async def main(n: int, queries: int, rounds: int, pg_dsn: str) -> None:
    redis = Redis.from_url(os.environ.get("ALERTING_REDIS_URL", "redis://127.0.0.1:6379/0"))
    prefix = f"bench-geo-{uuid.uuid4().hex[:8]}:"
    index = ResponderIndex(redis, prefix=prefix, bucket_s=300)
    rng = np.random.default_rng(7)
    now = time.time()
    admin = await asyncpg.connect(pg_dsn)
    await ensure_postgis(admin)
    db = f"bench_geo_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{db}"')
    pg: asyncpg.Connection | None = None
    try:
        pg = await asyncpg.connect(pg_dsn, database=db)
        await pg.execute("CREATE EXTENSION postgis")
        await _geography_codec(pg)

        lat, lon = population(n, rng)
        ages = rng.uniform(0, 2 * MAX_AGE_S, n)
        available = rng.random(n) < 0.10
        group_of = rng.choice(3, size=n, p=GROUP_SHARE)
        ids = [f"r{i:07d}" for i in range(n)]

        ours_load_s, pg_load_s = await bulk_load(index, pg, ids, group_of, available, ages, lat, lon, now)
        print(
            f"bulk load of {n:,}: ours {ours_load_s:.2f} s (load_many), "
            f"PostGIS {pg_load_s:.2f} s (COPY, partial GiST index, ANALYZE): "
            f"ours/PostGIS {ours_load_s / pg_load_s:.2f}",
            flush=True,
        )

        q_north, q_east = rng.uniform(-2_000, 2_000, queries), rng.uniform(-2_000, 2_000, queries)
        q_lat = CITY[0] + q_north / M_PER_DEG_LAT
        q_lon = CITY[1] + q_east / (M_PER_DEG_LAT * math.cos(math.radians(CITY[0])))
        points = list(zip(q_lat.tolist(), q_lon.tolist(), strict=True))
        cutoff = datetime.fromtimestamp(now - MAX_AGE_S, UTC)
        knn = await pg.prepare(KNN)

        async def ours(p: tuple[float, float], radius: float) -> list[str]:
            hits = await index.nearest(
                TRUST, p[0], p[1], radius_m=radius, groups=GROUPS, limit=LIMIT, max_age_s=MAX_AGE_S, now=now
            )
            return [h.responder_id for h in hits]

        async def peer(p: tuple[float, float], radius: float) -> list[str]:
            return [r[0] for r in await knn.fetch(p[1], p[0], radius, cutoff, list(GROUPS))]

        print(
            f"responders: {n:,}  queries per radius: {queries:,}  available: {int(available.sum()):,}  "
            f"fresh and available: {int((available & (ages <= MAX_AGE_S)).sum()):,}",
            flush=True,
        )
        for round_no in range(1, rounds + 1):
            rows = []
            for radius in RADII:
                for _ in range(3):  # warm both (script cache, prepared statement, connections)
                    await ours(points[0], radius)
                    await peer(points[0], radius)
                t_ours: list[float] = []
                t_peer: list[float] = []
                hits_ours: list[int] = []
                hits_peer: list[int] = []
                same = 0
                for i, p in enumerate(points):
                    order = ((ours, t_ours), (peer, t_peer)) if i % 2 == 0 else ((peer, t_peer), (ours, t_ours))
                    answers = []
                    for call, samples in order:
                        t0 = time.perf_counter()
                        answers.append(await call(p, radius))
                        samples.append(time.perf_counter() - t0)
                    a_ours, a_peer = answers if i % 2 == 0 else answers[::-1]
                    hits_ours.append(len(a_ours))
                    hits_peer.append(len(a_peer))
                    same += set(a_ours) == set(a_peer)
                rows.append(
                    (
                        radius,
                        summary(t_ours),
                        summary(t_peer),
                        statistics.mean(hits_ours),
                        statistics.mean(hits_peer),
                        same / len(points),
                    )
                )
            print()
            print(f"round {round_no}:")
            print(
                "| radius | ours q/s | ours p50 | ours p99 | PostGIS q/s | PostGIS p50 | PostGIS p99 "
                "| ours/PostGIS p50 | ours/PostGIS p99 | mean hits ours / PostGIS | same answer |"
            )
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for radius, o, r, o_hits, r_hits, same_share in rows:
                print(
                    f"| {radius:,.0f} m | {o['qps']:,.0f} | {o['p50']:.3f} ms | {o['p99']:.3f} ms | "
                    f"{r['qps']:,.0f} | {r['p50']:.3f} ms | {r['p99']:.3f} ms | {o['p50'] / r['p50']:.2f} | "
                    f"{o['p99'] / r['p99']:.2f} | {o_hits:.1f} / {r_hits:.1f} | {same_share:.1%} |",
                    flush=True,
                )
    finally:
        if pg is not None:
            await pg.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(keys), 500):
            await redis.delete(*keys[i : i + 500])
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responders", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1, help="passes over the same data, to see the spread")
    parser.add_argument(
        "--pg",
        default=os.environ.get("ALERTING_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL superuser connection; the bench makes (and drops) a database of its own",
    )
    args = parser.parse_args()
    asyncio.run(main(args.responders, args.queries, args.rounds, args.pg))
