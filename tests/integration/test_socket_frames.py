"""Frames a responder app should not send: each is answered in a way the app can act on, and the
socket either stays usable or is closed with a documented code and a reason."""

from __future__ import annotations

import json

import pytest
import websockets

from tests.support.clients import ResponderSocket, make_trust


async def test_a_binary_frame_is_answered_with_an_error_and_the_socket_stays(stack):
    trust = await make_trust(stack)
    sock = await ResponderSocket.connect(stack.ws_url, await trust.responder("r1", ["staff"]))
    await sock.ws.send(json.dumps({"type": "ping"}).encode())  # bytes: a binary frame
    error = await sock.next("error")
    assert error["code"] == "binary_frame" and "text frame" in error["detail"]
    await sock.roundtrip()  # still open and answering
    await sock.close()
    await trust.close()


async def test_a_binary_sign_in_closes_with_4401_and_a_reason(stack):
    trust = await make_trust(stack)
    token = await trust.responder("r1", ["staff"])
    async with websockets.connect(stack.ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}).encode())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4401 and "auth" in closed.value.rcvd.reason
    await trust.close()


@pytest.mark.parametrize("action", ["accept", "decline", "arrived", "ack"])
async def test_a_control_character_in_an_alert_id_is_a_permanent_refusal(stack, action):
    """Not `unavailable ... send it again shortly`, which would have a correct app retry forever."""
    trust = await make_trust(stack)
    sock = await ResponderSocket.connect(stack.ws_url, await trust.responder("r1", ["staff"]))
    await sock.send(type=action, alert_id="abc\x00def")
    error = await sock.next("error")
    assert error["code"] == "invalid_message", error
    assert "control characters" in error["detail"]
    await sock.roundtrip()
    await sock.close()
    await trust.close()
