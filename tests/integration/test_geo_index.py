"""The live responder index against the real Redis: its answers equal a brute-force haversine filter."""

from __future__ import annotations

import asyncio
import math
import os
import uuid
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from geo.distance import EARTH_RADIUS_M, haversine_m
from geo.index import LocationUpdate, Profile, ResponderIndex

REDIS_URL = os.environ.get("ALERTING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
GROUPS = ["a", "b", "c"]
NOW0 = 1_800_000_000.0

_loop = asyncio.new_event_loop()


def run(coro):
    return _loop.run_until_complete(coro)


def destination(lat: float, lon: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    """The point `metres` from (lat, lon) along a great circle with this initial bearing."""
    p1, l1, th, d = math.radians(lat), math.radians(lon), math.radians(bearing_deg), metres / EARTH_RADIUS_M
    p2 = math.asin(max(-1.0, min(1.0, math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(th))))
    l2 = l1 + math.atan2(math.sin(th) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    lon2 = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    return max(-90.0, min(90.0, math.degrees(p2))), lon2


@dataclass
class Person:
    id: str
    groups: tuple[str, ...]
    active: bool
    available: bool
    fixes: list[tuple[float, float, float]]  # (lat, lon, at), in the order they are sent


async def fresh_index(bucket_s: int) -> tuple[Redis, ResponderIndex, str]:
    redis = Redis.from_url(REDIS_URL)
    prefix = f"test-geo-{uuid.uuid4().hex[:10]}:"
    return redis, ResponderIndex(redis, prefix=prefix, bucket_s=bucket_s), prefix


async def drop(redis: Redis, prefix: str) -> None:
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def reference(people, lat, lon, *, radius_m, groups, limit, exclude, max_age_s, now):
    rows = []
    for p in people:
        if not (p.active and p.available) or not set(p.groups) & set(groups) or p.id in exclude:
            continue
        # The newest fix wins whatever the arrival order; of two equally new, the later sent.
        plat, plon, at = max(reversed(p.fixes), key=lambda f: f[2])
        if at < now - max_age_s:
            continue
        d = haversine_m(lat, lon, plat, plon)
        if d <= radius_m:
            rows.append((d, p.id))
    return sorted(rows)[:limit]


places = st.one_of(
    st.tuples(st.floats(-80, 80), st.floats(-180, 180)),  # anywhere
    st.tuples(st.floats(84.0, 90.0) | st.floats(-90.0, -84.0), st.floats(-180, 180)),  # near a pole
    st.tuples(st.floats(-70, 70), st.floats(179.0, 180.0) | st.floats(-180.0, -179.0)),  # across the antimeridian
)


@st.composite
def scenes(draw):
    centre = draw(places)
    radius = draw(st.sampled_from([10.0, 200.0, 1000.0, 5000.0]) | st.floats(10, 20_000))
    max_age = draw(st.sampled_from([60.0, 900.0]) | st.floats(10, 3600))
    now = NOW0 + draw(st.floats(0, 3600))
    n = draw(st.integers(0, 40))
    people = []
    for i in range(n):
        fixes = []
        for _ in range(draw(st.integers(1, 2))):
            edge = draw(st.booleans())
            metres = radius * draw(st.floats(0.999999, 1.000001) if edge else st.floats(0, 1.6))
            spot = draw(st.sampled_from(["new", "same"])) if people else "new"
            if spot == "same":  # another responder's exact spot: ties broken by id
                plat, plon = draw(st.sampled_from(people)).fixes[0][:2]
            else:
                plat, plon = destination(*centre, draw(st.floats(0, 360)), metres)
            age = draw(st.sampled_from([0.0, max_age, max_age + 0.001]) | st.floats(0, 2 * max_age))
            fixes.append((plat, plon, now - age))
        people.append(
            Person(
                f"r{i:02d}",
                tuple(draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True))),
                draw(st.booleans()) or draw(st.booleans()),
                draw(st.booleans()) or draw(st.booleans()),
                fixes,
            )
        )
    groups = draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True))
    exclude = set(draw(st.lists(st.sampled_from([p.id for p in people]), max_size=3))) if people else set()
    return dict(
        centre=centre,
        radius=radius,
        max_age=max_age,
        now=now,
        people=people,
        groups=groups,
        limit=draw(st.integers(1, 12)),
        exclude=exclude,
        bucket_s=draw(st.sampled_from([10, 60, 300])),
    )


async def load(index: ResponderIndex, trust: str, people, now: float) -> None:
    # Registered available, moved (in the order the fixes arrive), then availability as it is now.
    await index.set_profiles(trust, [Profile(p.id, p.groups, p.active, True) for p in people], now=now)
    for step in range(2):
        await index.upsert_many(
            trust,
            [LocationUpdate(p.id, *p.fixes[step][:2], 5.0, p.fixes[step][2]) for p in people if len(p.fixes) > step],
        )
    for p in people:
        if not p.available:
            await index.set_available(trust, p.id, False, now=now)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenes())
def test_nearest_equals_brute_force(scene):
    async def check():
        redis, index, prefix = await fresh_index(scene["bucket_s"])
        try:
            await load(index, "T", scene["people"], scene["now"])
            lat, lon = scene["centre"]
            got = await index.nearest(
                "T",
                lat,
                lon,
                radius_m=scene["radius"],
                groups=scene["groups"],
                limit=scene["limit"],
                exclude=scene["exclude"],
                max_age_s=scene["max_age"],
                now=scene["now"],
            )
            want = reference(
                scene["people"],
                lat,
                lon,
                radius_m=scene["radius"],
                groups=scene["groups"],
                limit=scene["limit"],
                exclude=scene["exclude"],
                max_age_s=scene["max_age"],
                now=scene["now"],
            )
            assert [(h.distance_m, h.responder_id) for h in got] == want, (got, want)

            counts = await index.counts_near(
                "T", lat, lon, radius_m=scene["radius"], groups=GROUPS, max_age_s=scene["max_age"], now=scene["now"]
            )
            everyone = reference(
                scene["people"],
                lat,
                lon,
                radius_m=scene["radius"],
                groups=GROUPS,
                limit=10**6,
                exclude=set(),
                max_age_s=scene["max_age"],
                now=scene["now"],
            )
            by_id = {p.id: p for p in scene["people"]}
            want_counts: dict[str, int] = {}
            for _, rid in everyone:
                for g in by_id[rid].groups:
                    want_counts[g] = want_counts.get(g, 0) + 1
            assert counts == dict(sorted(want_counts.items())), (counts, want_counts)
        finally:
            await drop(redis, prefix)

    run(check())


def test_stale_position_is_not_found_and_its_bucket_expires_on_its_own():
    async def check():
        redis, index, prefix = await fresh_index(60)
        try:
            t0 = NOW0
            await index.set_profile("T", "old", groups=["a"], active=True, now=t0)
            await index.set_profile("T", "new", groups=["a"], active=True, now=t0)
            await index.upsert("T", "old", 51.5, -0.12, 5, t0)
            await index.upsert("T", "new", 51.5005, -0.12, 5, t0 + 500)
            later = t0 + 950  # "old" is now 950 s old, "new" 450 s
            found = await index.nearest(
                "T", 51.5, -0.12, radius_m=500, groups=["a"], limit=10, max_age_s=900, now=later
            )
            assert [h.responder_id for h in found] == ["new"]
            # The position's bucket key carries its own expiry: nothing has to sweep it.
            key = f"{index.base('T')}g:a:{math.floor(t0 / 60)}"
            assert await redis.zscore(key, "old") is not None
            assert await redis.expiretime(key) == (math.floor(t0 / 60) + 1) * 60 + index.retention_s
        finally:
            await drop(redis, prefix)

    run(check())


def test_unavailable_leaves_at_once_and_a_move_leaves_no_trace_behind():
    async def check():
        redis, index, prefix = await fresh_index(60)
        try:
            await index.set_profile("T", "x", groups=["a", "b"], active=True, now=NOW0)
            await index.upsert("T", "x", 51.5, -0.12, 5, NOW0)
            await index.upsert("T", "x", 51.6, -0.12, 5, NOW0 + 120)  # a later bucket
            listed = sorted([k.decode() async for k in redis.scan_iter(match=f"{index.base('T')}g:*")])
            members = {k: await redis.zrange(k, 0, -1) for k in listed}
            assert {k: v for k, v in members.items() if v} == {
                f"{index.base('T')}g:a:{math.floor((NOW0 + 120) / 60)}": [b"x"],
                f"{index.base('T')}g:b:{math.floor((NOW0 + 120) / 60)}": [b"x"],
            }
            await index.set_available("T", "x", False, now=NOW0 + 121)
            assert [await redis.zcard(k) for k in listed] == [0] * len(listed)
            assert (
                await index.nearest(
                    "T", 51.6, -0.12, radius_m=100, groups=["a"], limit=5, max_age_s=900, now=NOW0 + 121
                )
                == []
            )
            assert await index.position("T", "x") == (51.6, -0.12, NOW0 + 120)  # still known, just not listed
            await index.remove("T", "x")
            assert await index.position("T", "x") is None
            assert await index.upsert("T", "x", 51.6, -0.12, 5, NOW0 + 130) is False  # erased: not re-listed
        finally:
            await drop(redis, prefix)

    run(check())


@pytest.mark.parametrize("limit", [1, 5, 50])
def test_a_wide_circle_with_many_people_still_returns_the_nearest_in_order(limit):
    """Enough responders that COUNT cuts keys short and rings have to grow."""

    async def check():
        redis, index, prefix = await fresh_index(300)
        try:
            people = []
            for i in range(600):
                lat, lon = destination(53.8, -1.55, (i * 137.5) % 360, 20 + (i * 7919) % 4000)
                people.append(
                    Person(f"p{i:03d}", (GROUPS[i % 3],), True, i % 5 != 0, [(lat, lon, NOW0 - (i % 7) * 200)])
                )
            await load(index, "T", people, NOW0)
            got = await index.nearest(
                "T",
                53.8,
                -1.55,
                radius_m=5000,
                groups=["a", "b"],
                limit=limit,
                exclude={"p003", "p004"},
                max_age_s=900,
                now=NOW0,
            )
            want = reference(
                people,
                53.8,
                -1.55,
                radius_m=5000,
                groups=["a", "b"],
                limit=limit,
                exclude={"p003", "p004"},
                max_age_s=900,
                now=NOW0,
            )
            assert [(h.distance_m, h.responder_id) for h in got] == want and len(want) == limit
        finally:
            await drop(redis, prefix)

    run(check())


def test_a_burst_larger_than_one_batch_keeps_the_newest_fix_of_each_responder():
    async def check():
        redis, index, prefix = await fresh_index(300)
        try:
            people = [Person(f"b{i:04d}", ("a",), True, True, []) for i in range(1200)]
            await index.set_profiles("T", [Profile(p.id, p.groups, True, True) for p in people], now=NOW0)
            burst = []
            for i, p in enumerate(people):
                near = destination(51.5, -0.12, i % 360, 10 + i)
                far = destination(51.5, -0.12, i % 360, 50_000)
                # The newer fix is sent first for even ids, last for odd ones: the newer always wins.
                fixes = (
                    [(*near, NOW0 - 10), (*far, NOW0 - 20)] if i % 2 == 0 else [(*far, NOW0 - 20), (*near, NOW0 - 10)]
                )
                p.fixes.extend(fixes)
                burst += [LocationUpdate(p.id, lat, lon, None, at) for lat, lon, at in fixes]
            unknown = await index.upsert_many("T", burst + [LocationUpdate("nobody", 51.5, -0.12, None, NOW0)])
            assert unknown == ["nobody"]
            got = await index.nearest(
                "T", 51.5, -0.12, radius_m=2000, groups=["a"], limit=2000, max_age_s=900, now=NOW0
            )
            want = reference(
                people, 51.5, -0.12, radius_m=2000, groups=["a"], limit=2000, exclude=set(), max_age_s=900, now=NOW0
            )
            assert [(h.distance_m, h.responder_id) for h in got] == want and len(want) == 1200
        finally:
            await drop(redis, prefix)

    run(check())


def test_bulk_writes_of_several_windows_in_flight_land_whole_and_report_every_unknown_id():
    """More rows than one pipelined window (BATCH x PIPELINE_DEPTH): windows are sent two at a time."""

    async def check():
        redis, index, prefix = await fresh_index(300)
        try:
            people = []
            for i in range(23_456):
                lat, lon = destination(53.8, -1.55, (i * 137.5) % 360, (i * 7919) % 30_000)
                people.append(Person(f"w{i:05d}", (GROUPS[i % 3],), True, True, [(lat, lon, NOW0 - (i % 11) * 100)]))
            await index.set_profiles("T", [Profile(p.id, p.groups, True, True) for p in people], now=NOW0)
            strangers = [LocationUpdate(f"x{i:05d}", 53.8, -1.55, None, NOW0) for i in range(0, 23_456, 997)]
            burst = [LocationUpdate(p.id, *p.fixes[0][:2], 5.0, p.fixes[0][2]) for p in people]
            unknown = await index.upsert_many("T", burst[:7_000] + strangers + burst[7_000:])
            assert unknown == [u.responder_id for u in strangers]
            counts = await index.counts_near("T", 53.8, -1.55, radius_m=30_000, groups=GROUPS, max_age_s=900, now=NOW0)
            fresh = [p for p in people if p.fixes[0][2] >= NOW0 - 900]
            assert counts == {g: sum(1 for p in fresh if g in p.groups) for g in GROUPS}
            got = await index.nearest(
                "T", 53.81, -1.56, radius_m=5_000, groups=["a", "c"], limit=50, max_age_s=900, now=NOW0
            )
            want = reference(
                people,
                53.81,
                -1.56,
                radius_m=5_000,
                groups=["a", "c"],
                limit=50,
                exclude=set(),
                max_age_s=900,
                now=NOW0,
            )
            assert [(h.distance_m, h.responder_id) for h in got] == want and len(want) == 50
        finally:
            await drop(redis, prefix)

    run(check())


def test_an_upgrade_adopts_the_previous_layouts_responders_and_drops_its_records():
    """Records the previous layout (`ix`) wrote, in its format: after the upgrade every responder in
    them is searchable where and as fresh as they were, one the new layout already holds keeps its
    newer state, and the old records go."""

    async def check():
        redis, index, prefix = await fresh_index(60)
        try:
            prof, pos = f"{prefix}{{t:T}}:ix:prof", f"{prefix}{{t:T}}:ix:pos"
            people = []
            for i in range(1_500):  # more than one scan's worth
                lat, lon = destination(53.8, -1.55, (i * 137.5) % 360, 20 + (i * 7919) % 4000)
                people.append(Person(f"o{i:04d}", (GROUPS[i % 3],), i % 11 != 0, i % 7 != 0, [(lat, lon, NOW0 - i)]))
            await redis.hset(prof, mapping={p.id: f"{int(p.active)}|{int(p.available)}|{p.groups[0]}" for p in people})
            await redis.hset(
                pos, mapping={p.id: f"{p.fixes[0][0]!r} {p.fixes[0][1]!r} {p.fixes[0][2]!r} 5.0" for p in people}
            )
            await redis.hset(prof, mapping={"noplace": "1|1|a,b"})  # registered, never reported
            # Written by the new version since it started: newer than what the old records say.
            moved = people[1]
            await index.set_profile("T", moved.id, groups=moved.groups, active=True, available=True, now=NOW0)
            await index.upsert("T", moved.id, 53.9, -1.4, 3.0, NOW0)
            people[1] = Person(moved.id, moved.groups, True, True, [(53.9, -1.4, NOW0)])

            assert await index.adopt_previous_layouts("T", now=NOW0) == 1_501
            assert await redis.exists(prof, pos) == 0
            for lat, lon, radius in ((53.8, -1.55, 5_000.0), (53.9, -1.4, 100.0), (53.81, -1.56, 700.0)):
                got = await index.nearest(
                    "T", lat, lon, radius_m=radius, groups=GROUPS, limit=50, max_age_s=900, now=NOW0
                )
                want = reference(
                    people, lat, lon, radius_m=radius, groups=GROUPS, limit=50, exclude=set(), max_age_s=900, now=NOW0
                )
                assert [(h.distance_m, h.responder_id) for h in got] == want and want
            assert await index.position("T", people[2].id) == (*people[2].fixes[0][:2], NOW0 - 2)
            assert await index.position("T", "noplace") is None and await index.available("T", "noplace") is True
            assert await index.available("T", people[7].id) is False
            assert await index.adopt_previous_layouts("T", now=NOW0) == 0
        finally:
            await drop(redis, prefix)

    run(check())


def test_a_move_within_one_bucket_moves_the_member_and_leaves_nothing_behind():
    async def check():
        redis, index, prefix = await fresh_index(300)
        try:
            t0 = math.floor(NOW0 / 300) * 300  # the start of a bucket: both fixes fall in it
            await index.set_profile("T", "x", groups=["a", "b"], active=True, now=t0)
            await index.upsert("T", "x", 51.5, -0.12, 5, t0)
            await index.upsert("T", "x", 51.52, -0.12, 5, t0 + 30)
            keys = sorted([k.decode() async for k in redis.scan_iter(match=f"{index.base('T')}g:*")])
            assert keys == [f"{index.base('T')}g:{g}:{math.floor(t0 / 300)}" for g in ("a", "b")]
            for key in keys:
                assert await redis.zrange(key, 0, -1) == [b"x"]
                ((lon, lat),) = await redis.geopos(key, "x")
                assert abs(lat - 51.52) < 1e-4 and abs(lon + 0.12) < 1e-4
            assert (
                await index.nearest("T", 51.5, -0.12, radius_m=500, groups=["a"], limit=5, max_age_s=900, now=t0 + 31)
                == []
            )
            await index.set_available("T", "x", False, now=t0 + 40)
            assert [await redis.zcard(k) for k in keys] == [0, 0]
        finally:
            await drop(redis, prefix)

    run(check())


def test_concurrent_and_cancelled_searches_leave_every_answer_right():
    """Searches share a connection kept for them: concurrent ones, and ones cancelled part way,
    leave every answer right."""

    async def check():
        redis, index, prefix = await fresh_index(300)
        try:
            people = []
            for i in range(300):
                lat, lon = destination(53.8, -1.55, (i * 137.5) % 360, 20 + (i * 7919) % 3000)
                people.append(Person(f"c{i:03d}", (GROUPS[i % 3],), True, True, [(lat, lon, NOW0 - (i % 5) * 100)]))
            await load(index, "T", people, NOW0)

            def ask(radius: float, lat: float = 53.8, lon: float = -1.55):
                return index.nearest("T", lat, lon, radius_m=radius, groups=GROUPS, limit=20, max_age_s=900, now=NOW0)

            def want(radius: float):
                return reference(
                    people,
                    53.8,
                    -1.55,
                    radius_m=radius,
                    groups=GROUPS,
                    limit=20,
                    exclude=set(),
                    max_age_s=900,
                    now=NOW0,
                )

            radii = [300.0, 1000.0, 3000.0] * 5
            answers = await asyncio.gather(*(ask(r) for r in radii))
            assert [[(h.distance_m, h.responder_id) for h in a] for a in answers] == [want(r) for r in radii]
            for steps in range(5):  # cancelled at successive points of its call
                task = asyncio.ensure_future(ask(3000.0, 53.81, -1.53))  # another answer entirely
                for _ in range(steps):
                    await asyncio.sleep(0)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                assert [(h.distance_m, h.responder_id) for h in await ask(300.0)] == want(300.0)
        finally:
            await drop(redis, prefix)

    run(check())


SPOTS = [(51.5, -0.12), (51.5004, -0.1206), (51.53, -0.2), (89.2, 10.0), (-88.7, 179.99)]  # two beyond GEO
IDS = [f"q{i}" for i in range(8)]
ages = st.sampled_from([0.0, 59.9, 60.0, 130.0, 400.0]) | st.floats(0, 500)  # some beyond retention
fixes = st.builds(
    lambda rid, spot, acc, age: LocationUpdate(rid, *SPOTS[spot], acc, NOW0 - age),
    st.sampled_from(IDS),
    st.integers(0, len(SPOTS) - 1),
    st.sampled_from([None, 5.0]),
    ages,
)
profiles = st.builds(
    Profile,
    st.sampled_from(IDS),
    st.lists(st.sampled_from(GROUPS), max_size=3, unique=True).map(tuple),
    st.booleans(),
    st.sampled_from([None, True, False]),
)


async def _state(redis: Redis, prefix: str) -> dict[bytes, object]:
    """Every key under the prefix (named without it) with its content and expiry time."""
    out: dict[bytes, object] = {}
    async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
        kind = await redis.type(key)
        if kind == b"hash":
            content: object = await redis.hgetall(key)
        elif kind == b"zset":
            content = await redis.zrange(key, 0, -1, withscores=True)
        else:
            content = sorted(await redis.smembers(key))
        out[key[len(prefix) :]] = (content, await redis.expiretime(key))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before_profiles=st.lists(profiles, max_size=8),
    before_fixes=st.lists(fixes, max_size=8),
    load_profiles=st.lists(profiles, max_size=10),
    load_fixes=st.lists(fixes, max_size=10),
    now_age=ages,
)
@example(  # a new profile, then a fix in the same bucket too old to list as of the load's newest fix
    before_profiles=[Profile("q0", ("a",), True, True)],
    before_fixes=[LocationUpdate("q0", *SPOTS[0], 5.0, NOW0 - 400)],
    load_profiles=[Profile("q0", ("b",), True, None)],
    load_fixes=[LocationUpdate("q0", *SPOTS[1], 5.0, NOW0 - 400), LocationUpdate("q1", *SPOTS[2], None, NOW0)],
    now_age=400.0,
)
def test_load_many_ends_exactly_as_set_profiles_then_upsert_many(
    before_profiles, before_fixes, load_profiles, load_fixes, now_age
):
    """The one-pass bulk write against the two calls it stands for, from the same earlier state:
    the same records, keys, members, expiry times, unknown ids and search answers."""

    async def check():
        redis = Redis.from_url(REDIS_URL)
        run_id = uuid.uuid4().hex[:10]
        prefixes = [f"test-load-{run_id}-{side}:" for side in ("two", "one")]
        indexes = [ResponderIndex(redis, prefix=p, bucket_s=60, retention_s=120) for p in prefixes]
        try:
            now = NOW0 - now_age
            for index in indexes:
                await index.set_profiles("T", before_profiles, now=NOW0 - 500)
                await index.upsert_many("T", before_fixes)
            two, one = indexes
            await two.set_profiles("T", load_profiles, now=now)
            unknown_two = await two.upsert_many("T", load_fixes)
            unknown_one = await one.load_many("T", load_profiles, load_fixes, now=now)
            assert sorted(unknown_one) == sorted(unknown_two)
            assert await _state(redis, prefixes[1]) == await _state(redis, prefixes[0])
            for lat, lon in SPOTS[::2]:
                answers = [
                    await index.nearest("T", lat, lon, radius_m=20_000, groups=GROUPS, limit=5, max_age_s=120, now=NOW0)
                    for index in indexes
                ]
                assert answers[0] == answers[1]
        finally:
            await drop(redis, prefixes[0])
            await drop(redis, prefixes[1])

    run(check())
