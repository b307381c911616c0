"""The API server with a graceful stop: on SIGTERM, responder sockets are closed first with the
"reconnect" code (so apps move to another node at once), then uvicorn lets in-flight requests finish."""

from __future__ import annotations

import gc
import socket

import uvicorn
from fastapi import FastAPI

from alerting.realtime.gateway import close_all
from alerting.realtime.registry import CLOSE_RECONNECT
from alerting.realtime.socket_protocol import LeanWebSocketProtocol


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI):
        super().__init__(config)
        self.app = app

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # What exists now (modules, mappers, schemas, pools) lives as long as the process: kept out
        # of every later collection, so a full one walks only what came after.
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Stop accepting first, so a reconnecting app lands on another node, not back here.
        for server in self.servers:
            server.close()
        registry = getattr(self.app.state, "registry", None)
        if registry is not None:
            await close_all(registry, CLOSE_RECONNECT, "server restarting; reconnect")
        await super().shutdown(sockets)


def server_config(
    app: FastAPI,
    *,
    host: str,
    port: int,
    ws_ping_interval_s: float,
    ws_max_size: int,
    keep_alive_s: int,
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        ws_ping_interval=ws_ping_interval_s,
        ws_ping_timeout=ws_ping_interval_s,
        ws_max_size=ws_max_size,
        ws=LeanWebSocketProtocol,  # uvicorn's own, with less kept per idle socket
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=10,
        # An idle keep-alive connection is closed after this. It must outlast the CAD client's own
        # idle limit (httpx 5 s, many HTTP stacks 30-60 s): when the server closes first, a request
        # the client writes at that moment is lost with a reset, and a busy server's timer can fire
        # before it has read a request already waiting (uvicorn's default is 5 s).
        timeout_keep_alive=keep_alive_s,
        proxy_headers=True,
    )


def serve(app: FastAPI, config: uvicorn.Config, *, gc_thresholds: tuple[int, int, int] | None = None) -> None:
    if gc_thresholds is not None:
        gc.set_threshold(*gc_thresholds)
    GracefulServer(config, app).run()
