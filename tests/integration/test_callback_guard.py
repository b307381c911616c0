"""A callback_url may not point the platform into its own network: refused at intake, and again at
delivery when what the host resolves to has changed since."""

from __future__ import annotations

import asyncio

import pytest

from dispatch_adapter.receiver import WebhookReceiver
from tests.integration.test_webhooks import ONE_PHASE, eventually
from tests.support.clients import CENTRE, make_trust
from tests.support.stack import Stack, Worker, create_pg_database, drop_pg_database, free_port, make_settings, migrate

INCIDENT = {"lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.2:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.7/hook", "private"),
        ("https://192.168.0.1/hook", "private"),
        ("http://[fd12::1]/hook", "private"),
        ("http://239.1.2.3/hook", "multicast"),
        ("http://0.0.0.0:80/", "unspecified"),
        ("https://callback.invalid/hook", "does not resolve"),
    ],
)
async def test_intake_refuses_callbacks_into_private_networks_and_changes_nothing(stack, url, words):
    trust = await make_trust(stack, policy=ONE_PHASE)
    r = await trust.cad.post("/v1/incidents", json={**INCIDENT, "cad_ref": "SSRF-1", "callback_url": url})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [{"loc": "callback_url", "msg": r.json()["detail"]}]
    assert words in r.json()["detail"]
    # Nothing was recorded: the same cad_ref without the callback is a new incident.
    r = await trust.cad.post("/v1/incidents", json={**INCIDENT, "cad_ref": "SSRF-1"})
    assert r.status_code == 201, r.text
    await trust.close()


@pytest.fixture
async def forgetful_worker_stack():
    """An API that allows loopback callbacks and a worker that no longer does: what delivery sees
    when a name that resolved to a public address at intake now resolves to a private one. Its own
    database, so the shared deployment's webhook sweep cannot deliver these incidents' events."""
    url, name = await create_pg_database()
    await asyncio.to_thread(migrate, url)
    settings = make_settings(url)
    s = Stack(settings, free_port(), Worker(settings.model_copy(update={"callback_allowed_hosts": []})))
    await s.start()
    yield s
    await s.stop()
    await drop_pg_database(name)


async def test_delivery_checks_the_destination_again(forgetful_worker_stack):
    stack = forgetful_worker_stack
    trust = await make_trust(stack, policy=ONE_PHASE)
    receiver = WebhookReceiver(keys=[trust.cad_key])
    await receiver.start()
    try:
        r = await trust.cad.post("/v1/incidents", json={**INCIDENT, "cad_ref": "SSRF-2", "callback_url": receiver.url})
        assert r.status_code == 201, r.text
        incident_id = r.json()["id"]

        async def refused_attempt():
            view = (await trust.cad.get(f"/v1/incidents/{incident_id}")).json()
            return [t for t in view["timeline"] if t["event"] == "webhook.attempt"]

        attempts = await eventually(refused_attempt)
        assert attempts[0]["outcome"] == "retry"
        assert "loopback" in attempts[0]["error"] and "callback_url" in attempts[0]["error"]
        assert receiver.attempts == []
    finally:
        await receiver.stop()
        await trust.close()
