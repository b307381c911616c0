"""An idle responder socket keeps nothing of its handshake: what makes it small (BENCHMARKS.md,
"uvicorn's websocket protocol keeps less per idle socket") is still there after an upgrade of
uvicorn or websockets, or the saving has quietly gone."""

from __future__ import annotations

from websockets.protocol import Protocol

from alerting.realtime.socket_protocol import LeanWebSocketProtocol
from tests.support.clients import ResponderSocket, make_trust


async def test_a_signed_in_socket_keeps_no_handshake_and_a_compact_protocol_object(stack):
    trust = await make_trust(stack)
    sock = await ResponderSocket.connect(stack.ws_url, await trust.responder("r1", ["staff"]))
    await sock.roundtrip()  # signed in, `ready` sent, a message read and answered since
    here = sock.ws.local_address[:2]
    (protocol,) = [p for p in stack.server.server_state.connections if tuple(p.client or ()) == here]
    assert isinstance(protocol, LeanWebSocketProtocol)
    assert protocol.request is None and protocol.response is None
    assert protocol.conn.parser.gi_code is Protocol.parse.__code__  # the request is not in its frame
    assert protocol.scope["headers"] == []
    # CPython keeps an instance's attributes in the compact shared-key values only up to 30.
    assert len(vars(protocol)) <= 30, sorted(vars(protocol))
    await sock.roundtrip()  # and it still reads and answers
    await sock.close()
    await trust.close()
