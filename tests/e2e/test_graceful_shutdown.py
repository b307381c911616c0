"""SIGTERM: sockets are closed with the reconnect code, and a request already in flight finishes."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from alerting.realtime.registry import CLOSE_RECONNECT
from tests.support.clients import CENTRE, ResponderSocket, make_trust
from tests.support.procs_faults import ApiProcess
from tests.support.stack import make_settings

pytestmark = pytest.mark.e2e


async def test_sigterm_closes_sockets_with_reconnect_and_lets_requests_in_flight_finish(pg_url):
    settings = make_settings(pg_url)
    api = ApiProcess(settings)
    await api.start()
    try:
        trust = await make_trust(api)
        sock = await ResponderSocket.connect(api.ws_url, await trust.responder("r1", ["staff"]))

        body = json.dumps({"cad_ref": "TERM-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
        writer.write(
            b"POST /v1/incidents HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {trust.cad_key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        await writer.drain()
        await sock.roundtrip()  # the server has read the headers by now: the request is in flight

        api.signal(signal.SIGTERM)
        await asyncio.wait_for(sock._reader, 15)
        assert sock.ws.close_code == CLOSE_RECONNECT

        writer.write(body[10:])
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 15)
        writer.close()
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 201"), response[:300]
        assert json.loads(payload)["cad_ref"] == "TERM-1"
        # It stops on its own; uvicorn re-raises the SIGTERM it handled, so the status says so.
        assert await asyncio.to_thread(api.proc.wait, 20) in (0, -signal.SIGTERM)
        await trust.close()
    finally:
        api.kill()
