"""Required credentials: without a verified, unexpired one a responder is skipped (and the timeline
says why) until a renewal is uploaded and verified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerting.worker import make_celery
from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online
from tests.support.documents import PNG, form


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def _incident(trust, ref: str) -> dict:
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": ref, "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201, r.text
    return (await trust.cad.get(f"/v1/incidents/{r.json()['id']}")).json()


def skips(status: dict) -> list[tuple[str, str]]:
    return [(t["responder"], t["reason"]) for t in status["timeline"] if t["event"] == "responder_skipped"]


async def test_an_expired_credential_makes_a_responder_ineligible_until_renewed_and_verified(any_stack):
    stack = any_stack
    trust = await make_trust(stack)
    await trust.responder("medic", ["staff"])
    sock = await online(stack, trust, "medic", north_of(CENTRE, 30))
    base = f"/v1/trusts/{trust.id}"

    r = await trust.admin.put(f"{base}/registration", json={"open": False, "required_credentials": ["cpr"]})
    assert r.status_code == 200, r.text
    assert r.json()["required_credentials"] == ["cpr"] and "1 active responder" in r.json()["warnings"][0]

    status = await _incident(trust, "CRED-1")
    assert status["alerted"] == 0 and skips(status) == [("medic", "credential_expired")]

    me = stack.client(trust.tokens["medic"])
    r = await me.post("/v1/me/credentials", **form("cpr", day(300), PNG, name="cpr.png", declared="image/png"))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "pending" and first["media_type"] == "image/png" and first["expired"] is False
    status = await _incident(trust, "CRED-2")
    assert skips(status) == [("medic", "credential_expired")]  # not verified yet: it does not count

    # The verifier reads the certificate: it in fact ran out yesterday.
    r = await trust.admin.post(
        f"{base}/responders/medic/credentials/{first['id']}/verify", json={"expires_on": day(-1)}
    )
    assert r.status_code == 200 and r.json()["status"] == "verified" and r.json()["expired"] is True
    status = await _incident(trust, "CRED-3")
    assert status["alerted"] == 0 and skips(status) == [("medic", "credential_expired")]
    held = (await trust.admin.get(f"{base}/responders/medic/credentials")).json()
    assert held["required"] == ["cpr"] and held["missing"] == ["cpr"]
    assert (await me.get("/v1/me")).json()["missing_credentials"] == ["cpr"]

    # A renewal, once verified, makes them eligible again.
    r = await me.post("/v1/me/credentials", **form("cpr", day(365), PNG, name="renewed.png", declared="image/png"))
    renewed = r.json()
    r = await trust.admin.post(f"{base}/responders/medic/credentials/{renewed['id']}/verify")
    assert r.status_code == 200 and r.json()["expired"] is False
    status = await _incident(trust, "CRED-4")
    assert status["alerted"] == 1 and skips(status) == []
    await sock.next("alert", incident_id=status["id"])  # (and CRED-3's later phase may alert them now too)
    held = (await trust.admin.get(f"{base}/responders/medic/credentials")).json()
    assert held["missing"] == [] and [c["id"] for c in held["credentials"]] == [renewed["id"], first["id"]]

    # The verifier can look at the file: the bytes as uploaded, as an attachment.
    f = await trust.admin.get(f"{base}/responders/medic/credentials/{renewed['id']}/file")
    assert f.status_code == 200 and f.content == PNG and f.headers["content-type"] == "image/png"
    assert (
        f.headers["content-disposition"].startswith("attachment") and f.headers["x-content-type-options"] == "nosniff"
    )

    # An upload that has already expired is refused and stores nothing.
    r = await me.post("/v1/me/credentials", **form("cpr", day(-3), PNG, name="old.png", declared="image/png"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert len((await trust.admin.get(f"{base}/responders/medic/credentials")).json()["credentials"]) == 2

    # Another trust sees none of it.
    other = await make_trust(stack)
    assert (await other.admin.get(f"{base}/responders/medic/credentials")).status_code == 404
    assert (await other.admin.get(f"{base}/responders/medic/credentials/{renewed['id']}/file")).status_code == 404
    assert (await other.admin.post(f"{base}/responders/medic/credentials/{renewed['id']}/verify")).status_code == 404
    await me.aclose()
    await sock.close()
    await trust.close()
    await other.close()


async def test_a_credential_near_expiry_reminds_its_responder_once(stack):
    trust = await make_trust(stack)
    await trust.responder("soon", ["staff"])
    await trust.responder("later", ["staff"])
    sock = await online(stack, trust, "soon", north_of(CENTRE, 30))
    base = f"/v1/trusts/{trust.id}"
    ids = {}
    for rid, expires in (("soon", day(12)), ("later", day(200))):
        async with stack.client(trust.tokens[rid]) as me:
            r = await me.post("/v1/me/credentials", **form("cpr", expires, PNG, name="c.png", declared="image/png"))
            ids[rid] = r.json()["id"]
        assert (await trust.admin.post(f"{base}/responders/{rid}/credentials/{ids[rid]}/verify")).status_code == 200

    make_celery(stack.settings).send_task("alerting.credential_reminders")  # what beat sends every interval
    frame = await sock.next("reminder", timeout=20)
    assert frame["reason"] == "credential_expiring" and frame["credential_id"] == ids["soon"]
    assert frame["kind"] == "cpr" and frame["days_left"] == 12 and frame["expires_on"] == day(12)
    assert "in 12 days" in frame["text"]
    soon = (await trust.admin.get(f"{base}/responders/soon/credentials")).json()["credentials"][0]
    later = (await trust.admin.get(f"{base}/responders/later/credentials")).json()["credentials"][0]
    assert soon["reminded_at"] is not None and later["reminded_at"] is None
    await sock.close()
    await trust.close()


async def test_the_replay_leaves_out_responders_lacking_a_credential_and_says_how_many(stack):
    trust = await make_trust(stack)
    base = f"/v1/trusts/{trust.id}"
    for rid in ("certified", "lapsed"):
        await trust.responder(rid, ["staff"])
    async with stack.client(trust.tokens["certified"]) as me:
        r = await me.post("/v1/me/credentials", **form("cpr", day(100), PNG, name="c.png", declared="image/png"))
    assert (
        await trust.admin.post(f"{base}/responders/certified/credentials/{r.json()['id']}/verify")
    ).status_code == 200
    await trust.admin.put(f"{base}/registration", json={"open": False, "required_credentials": ["cpr"]})
    r = await trust.admin.post(f"{base}/policy/replay", json={"policy": TWO_PHASES})
    assert r.status_code == 200, r.text
    current, draft = r.json()["current"], r.json()["draft"]
    assert current["responders"] == draft["responders"] == 1
    assert current["skipped"] == draft["skipped"] == {"credential_expired": 1}
    await trust.close()
