"""The alerter's socket (`/v1/alerters/ws`): signed in like a responder's, then told what help is
coming (`help`), the thread's messages and the stand-down, and taking the alerter's messages.

It is registered on the alerter's own bus channel, so whichever API process an incident changes
on, the process holding this socket hears it (alerting/realtime/alerter_follow.py reads the help;
messages and stand-downs come as frames).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket
from starlette.datastructures import QueryParams

from alerting.domain.vocabulary import ErrorCode
from alerting.realtime import alerter_protocol
from alerting.realtime.alerter_follow import HelpFollower
from alerting.realtime.gateway import (
    BACKEND_DOWN,
    CLOSE_FORBIDDEN,
    CLOSE_TOO_MANY_SOCKETS,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORIZED,
    GONE,
    close_quietly,
    first_token,
    next_text,
)
from alerting.realtime.protocol import ProtocolError
from alerting.realtime.registry import CLOSE_TOO_SLOW, CLOSE_WITHDRAWN, TOO_SLOW, WITHDRAWN, Connection, Registry
from alerting.services import alerter_live, alerters, auth
from alerting.services.alerter_frames import ready_frame
from alerting.services.context import Services
from alerting.services.errors import ServiceError
from alerting.services.frames import error_frame
from alerting.services.unit_of_work import reading, unit_of_work

log = logging.getLogger(__name__)
router = APIRouter()

PATH = "/v1/alerters/ws"
SUSPENDED_REASON = "the alerter is suspended or erased; this token does not work unless they are reinstated"


@router.websocket(PATH)
async def alerter_socket(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    registry: Registry = ws.app.state.registry
    await ws.accept()
    try:
        token, why = await first_token(ws, services.settings.ws_auth_timeout_s)
    except GONE:
        return
    if token is None:
        await close_quietly(ws, CLOSE_UNAUTHORIZED, why)
        return
    try:
        principal = await auth.authenticate(services, token)
    except ServiceError:
        await close_quietly(ws, CLOSE_UNAUTHORIZED, "invalid token")
        return
    except BACKEND_DOWN:
        log.warning("alerter socket sign-in failed: backend unavailable", exc_info=True)
        await close_quietly(ws, CLOSE_TRY_AGAIN, "service busy; reconnect shortly")
        return
    if principal.kind != auth.ALERTER:
        await close_quietly(ws, CLOSE_FORBIDDEN, "an alerter token is required")
        return
    trust_id, alerter_id = principal.trust, principal.alerter
    channel = services.keys.alerter_channel(trust_id, alerter_id)
    if registry.count(channel) >= services.settings.ws_max_sockets_per_responder:
        await close_quietly(ws, CLOSE_TOO_MANY_SOCKETS, "too many sockets for this alerter; close one first")
        return
    conn = Connection(ws, channel, alerter_id, queue_size=services.settings.ws_send_queue, trust_id=trust_id)
    follower = HelpFollower(services, conn, trust_id=trust_id, alerter_id=alerter_id)
    conn.on_help_changed = follower.changed
    await registry.add(conn)  # subscribed before the first read, so no change falls between the two
    try:
        # Read after subscribing: a suspension committed before this read is seen here, one after it
        # reaches this socket on the channel (the bus's END_SOCKETS).
        async with reading(services) as session:
            if await alerters.is_suspended(session, trust_id=trust_id, alerter_id=alerter_id):
                log.info("refused the socket of a suspended alerter", extra={"alerter": alerter_id})
                await close_quietly(ws, CLOSE_WITHDRAWN, SUSPENDED_REASON)
                return
        incident_id = await follower.start(QueryParams(ws.scope["query_string"]).get("incident"))
        await ws.send_json(ready_frame(alerter_id, incident_id))
        await follower.send_current()
        await _serve(ws, services, conn, trust_id, alerter_id)
    except GONE:
        pass
    except BACKEND_DOWN:
        log.warning("alerter socket setup failed: backend unavailable", exc_info=True, extra={"alerter": alerter_id})
        await close_quietly(ws, CLOSE_TRY_AGAIN, "service busy; reconnect shortly")
    finally:
        await follower.stop()
        await conn.stop()
        await registry.remove(conn)


async def _serve(ws: WebSocket, services: Services, conn: Connection, trust_id: str, alerter_id: str) -> None:
    """Reads until the peer leaves or the sending side ends (as the responder socket does)."""
    conn.start()
    try:
        await _read(ws, services, conn, trust_id, alerter_id)
    except asyncio.CancelledError:
        me = asyncio.current_task()
        if conn.ended is None or me is None or me.uncancel():
            raise
    except GONE:
        pass
    except Exception:
        log.warning("alerter socket ended with an error", exc_info=True, extra={"alerter": alerter_id})
    await conn.stop()
    if conn.ended == TOO_SLOW:
        await close_quietly(ws, CLOSE_TOO_SLOW, "client is not keeping up; reconnect")
    elif conn.ended == WITHDRAWN:
        log.info("closed the socket of a suspended alerter", extra={"alerter": alerter_id})
        await close_quietly(ws, CLOSE_WITHDRAWN, SUSPENDED_REASON)


async def _read(ws: WebSocket, services: Services, conn: Connection, trust_id: str, alerter_id: str) -> None:
    while conn.ended is None:
        text = await next_text(ws, services, conn)
        if text is None:
            return
        try:
            msg = alerter_protocol.parse(text)
            if isinstance(msg, alerter_protocol.Ping):
                conn.offer({"type": "pong"})
            elif isinstance(msg, alerter_protocol.AlerterMessage):
                async with unit_of_work(services) as uow:
                    await alerter_live.message_from_alerter(
                        uow, trust_id=trust_id, alerter_id=alerter_id, text=msg.text
                    )
            else:
                conn.offer(error_frame(ErrorCode.ALREADY_AUTHENTICATED, "this socket is already signed in"))
        except ProtocolError as exc:
            conn.offer(error_frame(exc.code, exc.detail))
        except ServiceError as exc:
            conn.offer(error_frame(exc.code, exc.detail))
        except BACKEND_DOWN:
            log.error(
                "alerter socket message failed: backend unavailable", exc_info=True, extra={"alerter": alerter_id}
            )
            conn.offer(error_frame(ErrorCode.UNAVAILABLE, "temporarily unavailable; send it again shortly"))
