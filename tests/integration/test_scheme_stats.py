"""The scheme's numbers (`GET /v1/trusts/{trust}/stats`) agree with what the incidents' own timelines
say, for the whole trust and for one group, as JSON and as CSV; bad input is a problem."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta

from tests.support.clients import CENTRE, make_trust, north_of, online
from tests.support.documents import PNG, form


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def nearest_rank(values: list[float], q: float) -> float | None:
    return sorted(values)[math.ceil(q * len(values)) - 1] if values else None


def from_timelines(views: list[dict], *, only: set[str] | None = None) -> dict:
    """The same numbers, counted by hand from each incident's timeline and responders."""
    out = {"incidents": len(views), "alerted": 0, "accepted": 0, "alerts": 0, "alerts_accepted": 0}
    accepts, arrivals, declines = [], [], {}
    known = first = 0
    for v in views:
        t0 = when(next(t["at"] for t in v["timeline"] if t["event"] == "reported"))
        mine = [r for r in v["responders"] if only is None or r["id"] in only]
        ours = lambda t: "responder" in t and (only is None or t["responder"] in only)  # noqa: E731
        acc = [when(t["at"]) for t in v["timeline"] if t["event"] == "responder.accepted" and ours(t)]
        arr = [when(t["at"]) for t in v["timeline"] if t["event"] == "responder.arrived" and ours(t)]
        for t in v["timeline"]:
            if t["event"] == "responder.declined" and ours(t):
                declines[t.get("reason") or "none_given"] = declines.get(t.get("reason") or "none_given", 0) + 1
        out["alerts"] += len(mine)
        out["alerts_accepted"] += len(acc)
        out["alerted"] += bool(mine)
        out["accepted"] += bool(acc)
        if acc:
            accepts.append((min(acc) - t0).total_seconds())
        if arr:
            arrivals.append((min(arr) - t0).total_seconds())
        if v.get("ambulance_arrived_at"):
            known += 1
            first += bool(arr) and min(arr) < when(v["ambulance_arrived_at"])
    out["times"] = {
        "accept": (nearest_rank(accepts, 0.5), nearest_rank(accepts, 0.9)),
        "arrive": (nearest_rank(arrivals, 0.5), nearest_rank(arrivals, 0.9)),
    }
    out["ahead"] = (known, first)
    out["declines"] = declines
    return out


def same_times(got: dict, expected: tuple) -> None:
    for key, value in zip(("p50", "p90"), expected, strict=True):
        assert (got[key] is None) == (value is None)
        if value is not None:
            assert abs(got[key] - value) <= 0.06, (got, expected)  # the timeline is to the millisecond


async def test_stats_agree_with_the_timelines_and_export_as_csv(stack):
    trust = await make_trust(stack)  # trusted 200 m (staff), then 1000 m (staff, community); accept limit 1
    for rid in ("st0", "st1"):
        await trust.responder(rid, ["staff"])
    await trust.responder("cm0", ["community"])
    socks = {
        "st0": await online(stack, trust, "st0", north_of(CENTRE, 80)),
        "st1": await online(stack, trust, "st1", north_of(CENTRE, 150)),
    }
    started = datetime.now(UTC) - timedelta(seconds=1)

    def body(ref, category="09-E-01"):
        return {"cad_ref": ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": category, "location_type": "public"}

    ids = []
    # 1: st0 accepts and arrives before the ambulance; st1 is stood down.
    one = (await trust.cad.post("/v1/incidents", json=body("ST-1"))).json()
    alerts = {rid: await s.next("alert", incident_id=one["id"]) for rid, s in socks.items()}
    await socks["st0"].send(type="accept", alert_id=alerts["st0"]["alert_id"])
    await socks["st0"].next("assigned", alert_id=alerts["st0"]["alert_id"])
    await socks["st0"].send(type="arrived", alert_id=alerts["st0"]["alert_id"])
    await socks["st0"].roundtrip()
    r = await trust.cad.patch(f"/v1/incidents/{one['id']}", json={"ambulance_arrived_at": rfc3339(datetime.now(UTC))})
    assert r.status_code == 200, r.text
    assert (await trust.cad.post(f"/v1/incidents/{one['id']}/close")).status_code == 200
    ids.append(one["id"])
    # 2: st0 declines as too far, st1 accepts; the ambulance gets there and st1 never does.
    two = (await trust.cad.post("/v1/incidents", json=body("ST-2"))).json()
    alerts = {rid: await s.next("alert", incident_id=two["id"]) for rid, s in socks.items()}
    await socks["st0"].send(type="decline", alert_id=alerts["st0"]["alert_id"], reason="too_far")
    await socks["st0"].next("declined", alert_id=alerts["st0"]["alert_id"])
    await socks["st1"].send(type="accept", alert_id=alerts["st1"]["alert_id"])
    await socks["st1"].next("assigned", alert_id=alerts["st1"]["alert_id"])
    r = await trust.cad.patch(f"/v1/incidents/{two['id']}", json={"ambulance_arrived_at": rfc3339(datetime.now(UTC))})
    assert r.status_code == 200, r.text
    assert (await trust.cad.post(f"/v1/incidents/{two['id']}/close")).status_code == 200
    ids.append(two["id"])
    # 3: both decline (one says busy, one gives no reason); the CAD cancels it.
    three = (await trust.cad.post("/v1/incidents", json=body("ST-3"))).json()
    alerts = {rid: await s.next("alert", incident_id=three["id"]) for rid, s in socks.items()}
    await socks["st0"].send(type="decline", alert_id=alerts["st0"]["alert_id"], reason="busy")
    await socks["st1"].send(type="decline", alert_id=alerts["st1"]["alert_id"])
    for rid in socks:
        await socks[rid].next("declined", alert_id=alerts[rid]["alert_id"])
    r = await trust.cad.post(f"/v1/incidents/{three['id']}/cancel", json={"reason": "stood down by control"})
    assert r.status_code == 200, r.text
    ids.append(three["id"])
    # 4: a category the policy does not alert for.
    four = (await trust.cad.post("/v1/incidents", json=body("ST-4", "26-A-01"))).json()
    ids.append(four["id"])
    # A certificate running out in ten days, and one long after the window.
    soon = datetime.now(UTC).date() + timedelta(days=10)
    for rid, expires in (("st0", soon), ("st1", soon + timedelta(days=300))):
        async with stack.client(trust.tokens[rid]) as me:
            r = await me.post(
                "/v1/me/credentials", **form("cpr", expires.isoformat(), PNG, name="c.png", declared="image/png")
            )
            assert r.status_code == 201, r.text

    views = [(await trust.cad.get(f"/v1/incidents/{i}")).json() for i in ids]
    period = {"from": rfc3339(started), "to": rfc3339(datetime.now(UTC) + timedelta(seconds=5))}
    r = await trust.admin.get(f"/v1/trusts/{trust.id}/stats", params=period)
    assert r.status_code == 200, r.text
    stats = r.json()
    raw = from_timelines(views)
    for key in ("incidents", "alerted", "accepted", "alerts", "alerts_accepted"):
        assert stats[key] == raw[key], key
    assert (stats["incidents"], stats["alerted"], stats["accepted"], stats["alerts"]) == (4, 3, 2, 6)
    assert stats["acceptance_rate"] == round(2 / 6, 4)
    same_times(stats["time_to_first_accept_s"], raw["times"]["accept"])
    same_times(stats["time_to_arrive_s"], raw["times"]["arrive"])
    assert stats["time_to_first_accept_s"]["count"] == 2 and stats["time_to_arrive_s"]["count"] == 1
    ahead = stats["ahead_of_ambulance"]
    assert (ahead["incidents_with_ambulance_arrival"], ahead["responder_first"]) == raw["ahead"] == (2, 1)
    assert ahead["share"] == 0.5
    declines = {k: v for k, v in stats["declines_by_reason"].items() if v}
    assert declines == raw["declines"] == {"too_far": 1, "busy": 1, "none_given": 1}
    expiries = stats["credential_expiries"]
    assert (expiries["total"], expiries["by_kind"]) == (1, {"cpr": 1})
    assert list(expiries["by_week"].values()) == [1]
    assert [d["incidents"] for d in stats["by_day"]] and sum(d["incidents"] for d in stats["by_day"]) == 4

    # One group: only its responders' alerts count. The community responder was never alerted.
    r = await trust.admin.get(f"/v1/trusts/{trust.id}/stats", params={**period, "group": "community"})
    community = r.json()
    raw = from_timelines(views, only={"cm0"})
    assert (community["incidents"], community["alerted"], community["accepted"]) == (4, raw["alerted"], 0) == (4, 0, 0)
    assert community["acceptance_rate"] is None and community["time_to_first_accept_s"]["p50"] is None
    assert community["ahead_of_ambulance"]["responder_first"] == 0

    # A zone the incidents did not fall in: nothing.
    r = await trust.admin.get(f"/v1/trusts/{trust.id}/stats", params={**period, "zone": "rural north"})
    assert (r.json()["incidents"], r.json()["zone"]) == (0, "rural north")

    # CSV: the same numbers, by Accept or by ?format=csv.
    for kwargs in ({"headers": {"Accept": "text/csv"}, "params": period}, {"params": {**period, "format": "csv"}}):
        r = await trust.admin.get(f"/v1/trusts/{trust.id}/stats", **kwargs)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(r.text)))
        values = {row[0]: row[1] for row in lines[: lines.index([])] if len(row) == 2}
        assert values["incidents"] == "4" and values["accepted"] == "2"
        assert values["ahead_of_ambulance.share"] == "0.5"
        assert values["declines_by_reason.too_far"] == "1"
        assert values["time_to_arrive_s.p50"] == str(stats["time_to_arrive_s"]["p50"])
        assert ["date", "incidents", "alerted", "accepted"] in lines

    # Bad input: a problem, and nothing else.
    for params, loc in (({"from": period["to"], "to": period["from"]}, "to"), ({**period, "group": "nobody"}, "group")):
        r = await trust.admin.get(f"/v1/trusts/{trust.id}/stats", params=params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
        assert loc in r.text
    r = await trust.admin.get(f"/v1/trusts/{trust.id}/stats", params={"from": "yesterday"})
    assert r.status_code == 422
    other = await make_trust(stack)
    assert (await other.admin.get(f"/v1/trusts/{trust.id}/stats")).status_code == 404
    for s in socks.values():
        await s.close()
    await other.close()
    await trust.close()
