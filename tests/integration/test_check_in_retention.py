"""A check-in is made when a responder accepts (not when they decline), and it and its answers are
deleted once older than `check_in_retention_s`, or when the responder is erased, on PostgreSQL and
on the SQLite default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from alerting.services import check_ins
from alerting.services.context import build_services
from alerting.store.models import CheckIn
from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online

POLICY = TWO_PHASES | {"accept_limit": 2, "aftercare": {"check_in_after_s": 3600, "questions": ["How was it?"]}}


async def test_a_check_in_is_made_on_accept_and_forgotten_after_its_retention(any_stack):
    stack = any_stack
    trust = await make_trust(stack, policy=POLICY)
    socks = {}
    for rid in ("old", "new", "no"):
        await trust.responder(rid, ["staff"])
        socks[rid] = await online(stack, trust, rid, north_of(CENTRE, 80))
    created = (
        await trust.cad.post(
            "/v1/incidents", json={"cad_ref": "RET-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        )
    ).json()
    alerts = {rid: await s.next("alert", incident_id=created["id"]) for rid, s in socks.items()}
    for rid in ("old", "new"):
        await socks[rid].send(type="accept", alert_id=alerts[rid]["alert_id"])
        await socks[rid].next("assigned", alert_id=alerts[rid]["alert_id"])
    await socks["no"].send(type="decline", alert_id=alerts["no"]["alert_id"])
    await socks["no"].roundtrip()
    async with stack.client(trust.tokens["old"]) as me:
        path = f"/v1/alerts/{alerts['old']['alert_id']}/check-in"
        assert (await me.post(path, json={"feeling": "shaken", "answers": ["Hard"]})).status_code == 200
    async with stack.client(trust.tokens["no"]) as me:
        path = f"/v1/alerts/{alerts['no']['alert_id']}/check-in"
        assert (await me.post(path, json={"feeling": "fine"})).status_code == 404  # declined: no check-in

    services = build_services(stack.settings)
    try:
        async with services.sessions() as session, session.begin():
            made = {
                c.responder_id: c
                for c in (await session.execute(select(CheckIn).where(CheckIn.incident_id == created["id"]))).scalars()
            }
            assert set(made) == {"old", "new"}
            assert made["old"].answers == ["Hard"] and made["new"].sent_at is None
            await session.execute(
                update(CheckIn)
                .where(CheckIn.alert_id == alerts["old"]["alert_id"])
                .values(created_at=datetime.now(UTC) - timedelta(seconds=stack.settings.check_in_retention_s + 60))
            )
        assert await check_ins.purge(services) >= 1
        async with services.sessions() as session:
            left = (
                await session.execute(select(CheckIn.responder_id).where(CheckIn.incident_id == created["id"]))
            ).scalars()
            assert list(left) == ["new"]
        # Erasing a responder erases their check-in with them.
        assert (await trust.admin.delete(f"/v1/trusts/{trust.id}/responders/new")).status_code in (200, 204)
        async with services.sessions() as session:
            left = (await session.execute(select(CheckIn).where(CheckIn.incident_id == created["id"]))).scalars()
            assert list(left) == []
    finally:
        await services.aclose()
    for s in socks.values():
        await s.close()
    await trust.close()


async def test_without_smtp_need_to_talk_is_only_queued_and_the_log_says_so(stack, caplog):
    policy = POLICY | {"aftercare": {"check_in_after_s": 3600, "wellbeing_emails": ["care@trust.example"]}}
    trust = await make_trust(stack, policy=policy)
    await trust.responder("sam", ["staff"])
    sock = await online(stack, trust, "sam", north_of(CENTRE, 80))
    created = (
        await trust.cad.post(
            "/v1/incidents", json={"cad_ref": "RET-2", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
        )
    ).json()
    alert = await sock.next("alert", incident_id=created["id"])
    await sock.send(type="accept", alert_id=alert["alert_id"])
    await sock.next("assigned", alert_id=alert["alert_id"])
    assert stack.settings.smtp_host is None
    with caplog.at_level("WARNING", logger="alerting.services.wellbeing_mail"):
        async with stack.client(trust.tokens["sam"]) as me:
            r = await me.post(f"/v1/alerts/{alert['alert_id']}/check-in", json={"feeling": "need_to_talk"})
            assert r.status_code == 200, r.text
        queue = (await trust.admin.get(f"/v1/trusts/{trust.id}/wellbeing")).json()
    assert [q["responder_id"] for q in queue] == ["sam"]
    assert any("email is not configured" in rec.getMessage() for rec in caplog.records), caplog.records
    await sock.close()
    await trust.close()
