"""The reference CAD simulator, as a real process, against the real stack with responders who accept."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of
from tests.support.stack import ROOT

POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 600,
    "categories": ["09-*"],
    "location_max_age_s": 900,
}
# About 100 m across, around the responders.
BBOX = f"{CENTRE[0] - 0.0005},{CENTRE[1] - 0.0008},{CENTRE[0] + 0.0005},{CENTRE[1] + 0.0008}"


async def accept_everything(sock: ResponderSocket) -> None:
    """A keen responder: accepts every alert that reaches the phone."""
    while True:
        alert = await sock.next("alert", timeout=120)
        await sock.send(type="accept", alert_id=alert["alert_id"])


async def test_simulator_posts_receives_verified_webhooks_and_summarises(stack):
    trust = await make_trust(stack, policy=POLICY)
    socks, bots = [], []
    for i in range(3):
        rid = f"keen-{i}"
        await trust.responder(rid, ["staff"])
        sock = await ResponderSocket.connect(stack.ws_url, trust.tokens[rid])
        at = north_of(CENTRE, 20 + 10 * i)
        await sock.send(type="location", lat=at[0], lon=at[1], accuracy_m=5)
        await sock.roundtrip()
        socks.append(sock)
        bots.append(asyncio.create_task(accept_everything(sock)))

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alerting",
        "simulate",
        "--url",
        stack.base_url,
        "--cad-key",
        trust.cad_key,
        "--bbox",
        BBOX,
        "--rate",
        "2",
        "--duration",
        "2",
        "--linger",
        "60",
        "--close-after",
        "0",
        "--seed",
        "5",
        "--json",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    for bot in bots:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
    assert proc.returncode == 0, err.decode()
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert (summary["posted"], summary["created"], summary["failed"]) == (4, 4, {})
    assert summary["alerted"] == 4 and summary["accepted"] == 4 and summary["filled"] == 4
    assert 0 < summary["median_first_accept_s"] < 30
    assert summary["bad_signatures"] == 0
    assert summary["events"]["incident.alerting"] == 4 and summary["events"]["responder.accepted"] == 4
    assert "4/4" in err.decode()  # the progress bar reached the end

    # The simulator closed each filled job, as a dispatcher would: each assigned responder heard so.
    assert summary["closed"] == 4

    def closed_frames() -> int:
        return sum(f.get("type") == "stand_down" and f["reason"] == "closed" for sock in socks for f in sock.frames)

    async def all_heard() -> None:
        while closed_frames() < 4:  # frames travel the bus after the close answered
            await asyncio.sleep(0.05)

    await asyncio.wait_for(all_heard(), 10)
    await asyncio.gather(*(sock.roundtrip() for sock in socks))
    assert closed_frames() == 4
    for sock in socks:
        await sock.close()
    await trust.close()


async def test_simulator_refuses_a_bad_key_with_exit_status_1(stack):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dispatch_adapter.simulator",
        "--url",
        stack.base_url,
        "--cad-key",
        "cad_wrong",
        "--bbox",
        BBOX,
        "--rate",
        "2",
        "--duration",
        "1",
        "--linger",
        "0",
        "--no-progress",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert "posted 2 incidents: 0 created, failed: 2x 401" in out.decode()
    assert "refused: 401 the bearer token is not valid" in err.decode()


async def test_simulated_responders_answer_the_simulated_incidents(stack):
    # Bots are spread over both groups, so the policy alerts both; four of them, so one is always free.
    both = {**POLICY, "phases": [{**POLICY["phases"][0], "groups": ["staff", "community"]}]}
    trust = await make_trust(stack, policy=both)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dispatch_adapter.simulator",
        "--url",
        stack.base_url,
        "--cad-key",
        trust.cad_key,
        "--bbox",
        BBOX,
        "--rate",
        "1",
        "--duration",
        "3",
        "--linger",
        "60",
        "--close-after",
        "0",
        "--responders",
        "4",
        "--admin-key",
        trust.admin_key,
        "--trust",
        trust.id,
        "--accept-share",
        "1",
        "--think",
        "0.5",
        "--seed",
        "11",
        "--json",
        "--no-progress",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert (summary["posted"], summary["created"]) == (3, 3)
    assert summary["alerted"] == 3 and summary["accepted"] == 3 and summary["closed"] == 3
    assert summary["median_first_accept_s"] <= 5
    listed = (await trust.admin.get(f"/v1/trusts/{trust.id}/responders", params={"q": "sim-"})).json()
    assert sorted(r["id"] for r in listed) == ["sim-000", "sim-001", "sim-002", "sim-003"]
    await trust.close()


async def test_simulated_responders_travel_to_the_scene_and_report_from_it(stack):
    both = {**POLICY, "phases": [{**POLICY["phases"][0], "groups": ["staff", "community"]}]}
    trust = await make_trust(stack, policy=both)
    args = ["--url", stack.base_url, "--cad-key", trust.cad_key, "--bbox", BBOX, "--rate", "1", "--duration", "2"]
    args += ["--linger", "60", "--close-after", "8", "--responders", "3", "--admin-key", trust.admin_key]
    args += ["--trust", trust.id, "--accept-share", "1", "--think", "0.2", "--travel", "2", "--seed", "5"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dispatch_adapter.simulator",
        *args,
        "--json",
        "--no-progress",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["accepted"] == 2 and summary["closed"] == 2, summary
    events = summary["events"]
    # on_scene, with_patient and cpr_started from each incident's responder
    assert events.get("responder.status") == 3 * 2, events
    assert events["responder.arrived"] == 2  # on_scene is the arrival
    assert events["responder.eta"] >= 2  # each on the way was reported at least once
    await trust.close()
