"""The check-in after an alert, through the real worker: a short while after a responder accepted
it reaches their socket and their Web Push endpoint (on loopback, VAPID-signed and encrypted);
"need to talk" emails the trust's wellbeing contacts through an SMTP server on loopback and puts
them in the trust's wellbeing queue, which nobody outside the trust can read."""

from __future__ import annotations

import asyncio
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.test_web_push import PushService
from tests.support.clients import CENTRE, TWO_PHASES, make_trust, north_of, online
from tests.support.stack import Stack, Worker, free_port, make_settings

pytestmark = pytest.mark.e2e

QUESTIONS = ["Did you give CPR?", "Is there anything we should know?"]
POLICY = TWO_PHASES | {
    "accept_limit": 2,
    "aftercare": {"check_in_after_s": 2, "questions": QUESTIONS, "wellbeing_emails": ["care@trust.example"]},
}


class Mailbox:
    """An aiosmtpd handler keeping each message it is given, with a way to wait for one."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.arrived = asyncio.Event()
        self.loop = asyncio.get_running_loop()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        self.loop.call_soon_threadsafe(self.arrived.set)
        return "250 OK"


@pytest.fixture
async def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
async def mailing_stack(pg_url, mailbox):
    _, port = mailbox
    settings = make_settings(pg_url, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, push_allow_http=True)
    s = Stack(settings, free_port(), Worker(settings))
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def push_service():
    service = PushService()
    await service.start()
    yield service
    await service.runner.cleanup()


async def test_the_check_in_reaches_the_responder_and_need_to_talk_reaches_the_trust(
    mailing_stack, mailbox, push_service
):
    stack = mailing_stack
    box, _ = mailbox
    trust = await make_trust(stack, policy=POLICY)
    for rid in ("went", "stayed"):
        await trust.responder(rid, ["staff"])
    async with stack.client(trust.tokens["went"]) as me:
        r = await me.put("/v1/me/push-subscription", json=push_service.subscription("went"))
        assert r.status_code == 204, r.text
    went = await online(stack, trust, "went", north_of(CENTRE, 80))
    stayed = await online(stack, trust, "stayed", north_of(CENTRE, 90))
    created = (
        await trust.cad.post(
            "/v1/incidents",
            json={"cad_ref": "CI-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"},
        )
    ).json()
    alert = await went.next("alert", incident_id=created["id"])
    await went.send(type="ack", alert_id=alert["alert_id"])
    await went.send(type="accept", alert_id=alert["alert_id"])
    await went.next("assigned", alert_id=alert["alert_id"])
    other = await stayed.next("alert", incident_id=created["id"])
    await stayed.send(type="decline", alert_id=other["alert_id"])

    # Nothing before its time; then the worker sends it, to the socket and by push.
    await went.roundtrip()
    assert went.taken("check_in") == []
    check_in = await went.next("check_in", timeout=20, alert_id=alert["alert_id"])
    assert check_in["questions"] == QUESTIONS and check_in["incident_id"] == created["id"]
    assert check_in["feelings"] == ["fine", "shaken", "need_to_talk"] and check_in["text"]
    pushed = await push_service.wait("went", timeout=20)
    pushes = [p for p in push_service.received["went"] if p["type"] == "check_in"]
    assert pushes and pushes[0]["alert_id"] == alert["alert_id"] and pushes[0]["questions"] == QUESTIONS, pushed
    await stayed.roundtrip()
    assert stayed.taken("check_in") == []  # who declined is not asked

    # The answer: need to talk. The trust's contacts get an email; the queue has it.
    secret = "I keep seeing it when I close my eyes"
    async with stack.client(trust.tokens["went"]) as me:
        path = f"/v1/alerts/{alert['alert_id']}/check-in"
        bad = await me.post(path, json={"feeling": "awful"})
        assert bad.status_code == 422 and "feeling" in [e["loc"] for e in bad.json()["errors"]], bad.text
        bad = await me.post(path, json={"feeling": "fine", "answers": ["a", "b", "c"]})
        assert bad.status_code == 422 and "answers" in [e["loc"] for e in bad.json()["errors"]], bad.text
        r = await me.post(path, json={"feeling": "need_to_talk", "answers": ["Yes", secret]})
        assert r.status_code == 200, r.text
        assert r.json()["feeling"] == "need_to_talk"
    async with stack.client(trust.tokens["stayed"]) as me:  # not their check-in
        assert (await me.post(path, json={"feeling": "fine"})).status_code == 404
    await asyncio.wait_for(box.arrived.wait(), 15)
    (to, mail), *_ = box.messages
    assert to == ["care@trust.example"]
    assert "Went" in mail["Subject"] and "talk" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "wellbeing" in body and secret not in body  # the answers stay behind the console's sign-in

    queue = await trust.admin.get(f"/v1/trusts/{trust.id}/wellbeing")
    assert queue.status_code == 200, queue.text
    (entry,) = queue.json()
    assert (entry["responder_id"], entry["name"], entry["cad_ref"], entry["feeling"]) == (
        "went",
        "Went",
        "CI-1",
        "need_to_talk",
    )
    assert entry["answers"] == [
        {"question": QUESTIONS[0], "answer": "Yes"},
        {"question": QUESTIONS[1], "answer": secret},
    ]

    # Nobody outside the trust reads it, and its audit never holds the answers.
    other = await make_trust(stack)
    for client in (other.admin, trust.cad, other.cad):
        assert (await client.get(f"/v1/trusts/{trust.id}/wellbeing")).status_code == 404
    async with stack.client(trust.tokens["went"]) as me:
        assert (await me.get(f"/v1/trusts/{trust.id}/wellbeing")).status_code == 404
    audit = await trust.admin.get(f"/v1/trusts/{trust.id}/audit")
    assert audit.status_code == 200 and secret not in audit.text
    export = await trust.admin.get(f"/v1/trusts/{trust.id}/incidents/{created['id']}/export")
    assert secret not in export.text

    # Answering again to say they are fine replaces the answer and emails no one.
    async with stack.client(trust.tokens["went"]) as me:
        assert (await me.post(path, json={"feeling": "fine"})).status_code == 200
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/wellbeing")).json() == []
    assert len(box.messages) == 1
    for sock in (went, stayed):
        await sock.close()
    await other.close()
    await trust.close()
