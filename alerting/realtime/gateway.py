"""The responder socket: authenticate, send `ready` with open alerts, then read and write in parallel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import QueryParams
from starlette.websockets import WebSocketDisconnected

from alerting.domain.vocabulary import ErrorCode
from alerting.realtime import protocol
from alerting.realtime.acks import AckBatcher
from alerting.realtime.close_codes import CloseCode
from alerting.realtime.registry import (
    CLOSE_TOO_SLOW,
    CLOSE_WITHDRAWN,
    CLOSED,
    TOO_SLOW,
    WITHDRAWN,
    Connection,
    Registry,
)
from alerting.services import alerts, auth, dispatching, presence
from alerting.services.context import Services
from alerting.services.errors import ServiceError
from alerting.services.frames import error_frame
from alerting.services.unit_of_work import reading, unit_of_work

log = logging.getLogger(__name__)
router = APIRouter()

PATH = "/v1/responders/ws"
CLOSE_UNAUTHORIZED = CloseCode.UNAUTHORIZED
CLOSE_FORBIDDEN = CloseCode.FORBIDDEN
CLOSE_TRY_AGAIN = CloseCode.TRY_AGAIN
# A close frame to a client that stopped reading waits behind everything already buffered for it;
# the server gives up on the goodbye after this long (the transport is dropped by the keepalive).
CLOSE_GRACE_S = 1.0
CLOSE_TOO_MANY_SOCKETS = CloseCode.TOO_MANY_SOCKETS
CLOSE_MESSAGE_TOO_BIG = CloseCode.MESSAGE_TOO_BIG
BINARY_FRAME = ErrorCode.BINARY_FRAME  # answers a binary frame; the socket stays open
BINARY_DETAIL = "binary frames are not read: send each message as JSON in a text frame"

# The database or Redis overloaded or away: the message failed, the socket need not.
BACKEND_DOWN = (SQLAlchemyError, RedisError, ConnectionError, TimeoutError)
GONE = (WebSocketDisconnect, WebSocketDisconnected)  # the peer left: the normal end of a socket
_ACTIONS = {"accept": alerts.accept, "arrived": alerts.arrived}


async def receive_text(ws: WebSocket) -> str | None:
    """The next message; None when it came in a binary frame (the protocol is JSON in text frames)."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    return message.get("text")


async def next_text(ws: WebSocket, services: Services, conn: Connection) -> str | None:
    """The next text message of a signed-in socket; a binary one is answered with an error and
    skipped, one over the size limit closes the socket (None: stop reading)."""
    while True:
        text = await receive_text(ws)
        if text is None:
            conn.offer(error_frame(BINARY_FRAME, BINARY_DETAIL))
            continue
        if len(text.encode()) > services.settings.ws_max_message_bytes:
            await ws.close(
                code=CLOSE_MESSAGE_TOO_BIG,
                reason=f"messages are limited to {services.settings.ws_max_message_bytes} bytes",
            )
            return None
        return text


async def first_token(ws: WebSocket, timeout: float) -> tuple[str | None, str]:
    """The token from the query, or from an `auth` message within `timeout`; else why there is none."""
    token = QueryParams(ws.scope["query_string"]).get("token")  # not ws.query_params: it stays cached
    if token:
        return token, ""
    try:
        text = await asyncio.wait_for(receive_text(ws), timeout)
        if text is None:
            raise protocol.ProtocolError(BINARY_FRAME, BINARY_DETAIL)
        msg = protocol.parse(text)
    except TimeoutError:
        return None, f"no token: send ?token= or an auth message within {timeout:g} s"
    except protocol.ProtocolError:
        return None, 'the first message must be {"type": "auth", "token": ...}'
    if not isinstance(msg, protocol.Auth):
        return None, 'the first message must be {"type": "auth", "token": ...}'
    return msg.token, ""


async def close_quietly(ws: WebSocket, code: int, reason: str) -> None:
    try:
        await asyncio.wait_for(ws.close(code=code, reason=reason), CLOSE_GRACE_S)
    except (TimeoutError, RuntimeError, WebSocketDisconnect):
        pass  # the peer is gone or not reading: it cannot hear the reason anyway


@router.websocket(PATH)
async def responder_socket(ws: WebSocket) -> None:
    """This frame lives as long as the socket: it holds only the socket, the services and the
    connection; sign-in and `ready` (the token, the principal, the read session, the pending
    alerts) run in helpers whose frames are gone once the socket is open."""
    services: Services = ws.app.state.services
    registry: Registry = ws.app.state.registry
    conn = await _sign_in(ws, services, registry)
    if conn is None:
        return
    # Signed in: nothing reads the handshake's headers again (this handler reads messages, uvicorn
    # logs the path and the client's address), and the scope holds them for the socket's life.
    ws.scope["headers"] = []
    await registry.add(conn)  # subscribe before reading pending, so nothing falls between the two
    try:
        await _send_ready(ws, services, conn)
        await _serve(ws, services, conn, conn.trust_id, conn.responder_id)
    except GONE:
        pass
    except BACKEND_DOWN:
        log.warning("socket setup failed: backend unavailable", exc_info=True, extra={"responder": conn.responder_id})
        await close_quietly(ws, CLOSE_TRY_AGAIN, "service busy; reconnect shortly")
    finally:
        await conn.stop()
        await registry.remove(conn)


async def _sign_in(ws: WebSocket, services: Services, registry: Registry) -> Connection | None:
    """The socket's connection once a responder's token is accepted; None once it is closed for
    want of one (or left)."""
    await ws.accept()
    try:
        token, why = await first_token(ws, services.settings.ws_auth_timeout_s)
    except WebSocketDisconnect:
        return None
    if token is None:
        await close_quietly(ws, CLOSE_UNAUTHORIZED, why)
        return None
    try:
        principal = await auth.authenticate(services, token)
    except ServiceError:
        await close_quietly(ws, CLOSE_UNAUTHORIZED, "invalid token")
        return None
    except BACKEND_DOWN:
        log.warning("socket sign-in failed: backend unavailable", exc_info=True)
        await close_quietly(ws, CLOSE_TRY_AGAIN, "service busy; reconnect shortly")
        return None
    if principal.kind != auth.RESPONDER:
        await close_quietly(ws, CLOSE_FORBIDDEN, "a responder token is required")
        return None
    trust_id, responder_id = principal.trust, principal.responder
    channel = services.keys.responder_channel(trust_id, responder_id)
    if registry.count(channel) >= services.settings.ws_max_sockets_per_responder:
        await close_quietly(ws, CLOSE_TOO_MANY_SOCKETS, "too many sockets for this responder; close one first")
        return None
    return Connection(ws, channel, responder_id, queue_size=services.settings.ws_send_queue, trust_id=trust_id)


async def _send_ready(ws: WebSocket, services: Services, conn: Connection) -> None:
    async with reading(services) as session:
        pending = await alerts.pending(session, services, trust_id=conn.trust_id, responder_id=conn.responder_id)
    await ws.send_json({"type": "ready", "responder_id": conn.responder_id, "pending": pending})


async def _serve(ws: WebSocket, services: Services, conn: Connection, trust_id: str, responder_id: str) -> None:
    """Reads in the handler's own task (an idle socket then costs no second task) until the peer
    leaves, or the sending side ends: that cancels the read, and the socket is closed here."""
    conn.start()
    try:
        await _read(ws, services, conn, trust_id, responder_id)
    except asyncio.CancelledError:
        me = asyncio.current_task()
        if conn.ended is None or me is None or me.uncancel():  # cancelled from outside too
            raise
    except GONE:
        pass
    except Exception:
        log.warning("socket ended with an error", exc_info=True, extra={"responder": responder_id})
    await conn.stop()  # no longer interruptible: the close below is not cut short
    if conn.ended == TOO_SLOW:
        CLOSED.labels("too_slow").inc()
        log.info("closed a socket that was not keeping up", extra={"responder": responder_id})
        await close_quietly(ws, CLOSE_TOO_SLOW, "client is not keeping up; reconnect")
    elif conn.ended == WITHDRAWN:
        CLOSED.labels("withdrawn").inc()
        log.info("closed the socket of a suspended or erased responder", extra={"responder": responder_id})
        await close_quietly(ws, CLOSE_WITHDRAWN, "the responder was suspended or erased; this token no longer works")
    elif isinstance(conn.ended, Exception) and not isinstance(conn.ended, GONE):
        log.warning("socket ended with an error", exc_info=conn.ended, extra={"responder": responder_id})


async def _read(ws: WebSocket, services: Services, conn: Connection, trust_id: str, responder_id: str) -> None:
    while conn.ended is None:
        text = await next_text(ws, services, conn)
        if text is None:
            return
        try:
            msg = protocol.parse(text)
            await _handle(msg, services, conn, trust_id, responder_id)
        except protocol.ProtocolError as exc:
            conn.offer(error_frame(exc.code, exc.detail))
        except ServiceError as exc:
            extra = {"alert_id": msg.alert_id} if isinstance(msg, protocol.AboutAlert) else {}
            conn.offer(error_frame(exc.code, exc.detail, **extra))
        except BACKEND_DOWN:
            # A backing service blinked: the socket stays, the client is told to retry (actions are
            # idempotent: a repeated accept answers with the slot already won).
            log.error(
                "socket message failed: backing service unavailable", exc_info=True, extra={"responder": responder_id}
            )
            extra = {"alert_id": msg.alert_id} if isinstance(msg, protocol.AboutAlert) else {}
            conn.offer(error_frame(ErrorCode.UNAVAILABLE, "temporarily unavailable; send it again shortly", **extra))


async def _handle(msg: Any, services: Services, conn: Connection, trust_id: str, responder_id: str) -> None:
    if isinstance(msg, protocol.Ping):
        conn.offer({"type": "pong"})
    elif isinstance(msg, protocol.Location):
        await presence.update_location(
            services, trust_id=trust_id, responder_id=responder_id, lat=msg.lat, lon=msg.lon, accuracy_m=msg.accuracy_m
        )
        conn.position = (msg.lat, msg.lon, msg.accuracy_m, services.clock())
    elif isinstance(msg, protocol.Availability):
        await presence.set_availability(services, trust_id=trust_id, responder_id=responder_id, available=msg.available)
        conn.available = msg.available
    elif isinstance(msg, protocol.AlertAction) and msg.type == "ack":  # the most frequent: written in batches
        acks: AckBatcher = conn.ws.app.state.acks
        await acks.acknowledge(trust_id=trust_id, responder_id=responder_id, alert_id=msg.alert_id)
    elif isinstance(msg, protocol.AlertAction):
        async with unit_of_work(services) as uow:
            answer = await _ACTIONS[msg.type](uow, trust_id=trust_id, responder_id=responder_id, alert_id=msg.alert_id)
        for frame in answer.direct:
            conn.offer(frame)
    elif isinstance(msg, protocol.Decline):
        async with unit_of_work(services) as uow:
            answer = await alerts.decline(
                uow, trust_id=trust_id, responder_id=responder_id, alert_id=msg.alert_id, reason=msg.reason
            )
        for frame in answer.direct:
            conn.offer(frame)
    elif isinstance(msg, protocol.Status):
        async with unit_of_work(services) as uow:
            answer = await alerts.report_status(
                uow, trust_id=trust_id, responder_id=responder_id, alert_id=msg.alert_id, status=msg.status
            )
        for frame in answer.direct:
            conn.offer(frame)
    elif isinstance(msg, protocol.Message):
        async with unit_of_work(services) as uow:
            await dispatching.message_from_responder(
                uow, trust_id=trust_id, responder_id=responder_id, alert_id=msg.alert_id, text=msg.text
            )
    elif isinstance(msg, protocol.Auth):
        conn.offer(error_frame(ErrorCode.ALREADY_AUTHENTICATED, "this socket is already signed in"))


async def close_all(registry: Registry, code: int, reason: str) -> None:
    for conn in registry.connections():
        with contextlib.suppress(Exception):  # a socket already gone needs no goodbye
            await conn.ws.close(code=code, reason=reason)
