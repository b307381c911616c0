"""Where the trust shares it, a responder who accepted is told what became of the patient, in the
trust's words, on their socket and in their history; one who did not accept is told nothing."""

from __future__ import annotations

from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online


def incident(cad_ref: str) -> dict:
    return {"cad_ref": cad_ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"}


SHARING = TWO_PHASES | {
    "accept_limit": 2,
    "aftercare": {"share_outcome": True, "outcome_texts": {"rosc": "Their heart restarted: thank you."}},
}


async def history(stack, token: str) -> dict:
    async with stack.client(token) as me:
        r = await me.get("/v1/me/history")
        assert r.status_code == 200, r.text
        return {h["incident_id"]: h for h in r.json()}


async def test_a_responder_who_accepted_hears_the_outcome_in_the_trusts_words(stack):
    trust = await make_trust(stack, policy=SHARING)
    for rid in ("went", "declined", "silent"):
        await trust.responder(rid, ["staff"])
    went, declined, silent = [
        await online(stack, trust, rid, north_of(CENTRE, 80)) for rid in ("went", "declined", "silent")
    ]
    created = (await trust.cad.post("/v1/incidents", json=incident("FB-1"))).json()
    alert = await went.next("alert", incident_id=created["id"])
    await went.send(type="accept", alert_id=alert["alert_id"])
    await went.next("assigned", alert_id=alert["alert_id"])
    other = await declined.next("alert", incident_id=created["id"])
    await declined.send(type="decline", alert_id=other["alert_id"])
    await declined.roundtrip()
    path = f"/v1/incidents/{created['id']}"
    assert (await trust.cad.post(f"{path}/close")).status_code == 200
    assert (await history(stack, trust.tokens["went"]))[created["id"]]["outcome"] is None  # not said yet

    assert (await trust.cad.patch(path, json={"outcome": "rosc"})).status_code == 200
    told = await went.next("outcome", alert_id=alert["alert_id"])
    assert told == {
        "type": "outcome",
        "alert_id": alert["alert_id"],
        "incident_id": created["id"],
        "outcome": "rosc",
        "text": "Their heart restarted: thank you.",
    }
    mine = (await history(stack, trust.tokens["went"]))[created["id"]]
    assert (mine["outcome"], mine["outcome_text"]) == ("rosc", "Their heart restarted: thank you.")
    theirs = (await history(stack, trust.tokens["declined"]))[created["id"]]
    assert (theirs["outcome"], theirs["outcome_text"]) == (None, None)

    # A changed outcome is told again; the words the trust did not choose are the default ones.
    assert (await trust.cad.patch(path, json={"outcome": "transported"})).status_code == 200
    again = await went.next("outcome", alert_id=alert["alert_id"], outcome="transported")
    assert again["text"] == "The patient was taken to hospital."
    for sock in (declined, silent):
        await sock.roundtrip()
        assert sock.taken("outcome") == []
    for sock in (went, declined, silent):
        await sock.close()
    await trust.close()


async def test_a_trust_that_does_not_share_tells_nobody(stack):
    trust = await make_trust(stack)  # no aftercare section: the outcome is not shared
    await trust.responder("went", ["staff"])
    went = await online(stack, trust, "went", north_of(CENTRE, 80))
    created = (await trust.cad.post("/v1/incidents", json=incident("FB-2"))).json()
    alert = await went.next("alert", incident_id=created["id"])
    await went.send(type="accept", alert_id=alert["alert_id"])
    await went.next("assigned", alert_id=alert["alert_id"])
    path = f"/v1/incidents/{created['id']}"
    assert (await trust.cad.patch(path, json={"outcome": "died"})).status_code == 200
    # the outcome frame would be published with the PATCH's commit; a message sent after it arrives
    # after it, so once the message is here the outcome would have been too
    r = await trust.cad.post(f"{path}/messages", json={"text": "thanks"})
    assert r.status_code in (200, 201), r.text
    await went.next("message", alert_id=alert["alert_id"])
    assert went.taken("outcome") == []
    mine = (await history(stack, trust.tokens["went"]))[created["id"]]
    assert mine["outcome"] is None and mine["state"] == "accepted"
    await went.close()
    await trust.close()


async def test_the_aftercare_section_is_checked_field_by_field(stack):
    trust = await make_trust(stack)
    for bad, loc in [
        ({"outcome_texts": {"alive": "x"}}, "aftercare.outcome_texts.alive.[key]"),
        ({"outcome_texts": {"rosc": "  "}}, "aftercare.outcome_texts.rosc"),
        ({"questions": ["Did you do CPR?", "Did you do CPR?"]}, "aftercare.questions"),
        ({"questions": [""]}, "aftercare.questions[0]"),
        ({"check_in_after_s": 0}, "aftercare.check_in_after_s"),
        ({"share_outcome": "yes"}, "aftercare.share_outcome"),
    ]:
        r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=TWO_PHASES | {"aftercare": bad})
        assert r.status_code == 422, (bad, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (bad, r.json())
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json=SHARING)
    assert r.status_code == 200, r.text
    got = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert got["aftercare"]["outcome_texts"] == {"rosc": "Their heart restarted: thank you."}
    await trust.close()
