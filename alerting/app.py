"""The composition root: builds the FastAPI app and wires stores, buses, timers and routers."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, WebSocket
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from alerting.api import (
    admin,
    alerter_messages,
    alerters,
    console,
    coverage,
    direct,
    dispatching,
    exports,
    joining,
    keys,
    me,
    onboarding,
    ops,
    problems,
    replay,
    sign_in,
    sso,
    staff,
    stats,
    wellbeing,
)
from alerting.api import zones as zones_api
from alerting.api.documented import document
from alerting.api.limits import BodyLimit
from alerting.api.timing import RequestTiming
from alerting.live import redis_client
from alerting.live.bus import Subscriber
from alerting.realtime import alerter_gateway, gateway
from alerting.realtime.acks import AckBatcher
from alerting.realtime.registry import CLOSE_RECONNECT, Registry
from alerting.realtime.republish import Republisher
from alerting.services import auth, retention
from alerting.services.context import build_services
from alerting.settings import Settings, get_settings
from alerting.web import pages
from dispatch_adapter import webhook_schema
from dispatch_adapter.router import post_incident
from dispatch_adapter.router import router as cad_router

log = logging.getLogger(__name__)
CAD_POST_PATH = "/v1/incidents"

DESCRIPTION = """\
Real-time volunteer responder alerting for ambulance services.

* **CAD systems** post incidents (`POST /v1/incidents`, native JSON, EIDO or CAP), read their
  status and receive signed webhooks.
* **Responders** hold a websocket at `/v1/responders/ws` (or use the `/v1/me` HTTP API). Its frames
  and close codes are in `docs/protocol.md`; among them, 4410 closes the sockets of a responder the
  trust suspended or erased (their open alerts are stood down first, reason `withdrawn`) and the
  token is refused from then on.
* **Trust administrators** manage groups, responders, the phased alerting policy and AEDs.

Every error is `application/problem+json` (RFC 9457). Credentials are bearer tokens. A credential of
one trust never sees another trust's data: that answers 404.
"""


def show_operator_token(token: str | None) -> None:
    """A token minted on first start is printed once, to the operator starting the deployment."""
    if token is not None:
        print(f"operator token (shown once, store it safely): {token}", file=sys.stderr, flush=True)


class App(FastAPI):
    """Sends the responder socket straight to its handler. A socket lives for hours, mostly idle,
    thousands per process, and each of the ~20 middleware and routing layers it would pass through
    keeps a suspended frame (some also closures or an exit stack) for the socket's whole life: about
    a third of an idle socket's memory. None of them does anything for a websocket: the timing and
    body-limit middlewares pass it on, FastAPI's telemetry needs an OpenTelemetry provider (none is
    configured), and the exception handlers answer with HTTP problem responses, which an accepted
    socket cannot carry (the handler closes with a code for the failures it expects; anything else
    reaches uvicorn, which logs it). The route stays declared in the router, which lists what is
    served."""

    cad_post: ASGIApp | None = None  # the CAD's POST /v1/incidents, without the routing (api/direct.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == gateway.PATH:
            scope["app"] = self
            await gateway.responder_socket(WebSocket(scope, receive, send))
        elif (
            self.cad_post is not None
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == CAD_POST_PATH
        ):
            await self.cad_post(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document with every operation's problem answers (alerting/api/documented.py)."""
        schema = super().openapi()
        if schema is not getattr(self, "_documented", None):
            self._documented = document(schema, self.routes)
        return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings)
        await redis_client.ready(services.redis)
        await retention.adopt_previous_index_layouts(services)  # an upgrade keeps responders searchable
        show_operator_token(await auth.ensure_operator(services))
        await services.credentials.start()  # before the first request: it then remembers tokens
        await services.policies.start()
        registry = Registry()
        registry.subscriber = Subscriber(services.redis, services.keys, registry.deliver)
        await registry.subscriber.start()
        republisher = Republisher(services, registry)  # writes positions back if Redis loses them
        await republisher.start()
        app.state.services, app.state.registry = services, registry
        app.state.acks = acks = AckBatcher(services)
        try:
            yield
        finally:
            await republisher.stop()
            await gateway.close_all(registry, CLOSE_RECONNECT, "server restarting; reconnect")
            await acks.aclose()
            await registry.subscriber.stop()
            await services.policies.stop()
            await services.credentials.stop()
            await services.aclose()

    app = App(title="Responder alerting", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    problems.install(app)
    upload_limit = settings.credential_max_bytes + 64 * 1024  # the file and its multipart framing
    body_limits: dict[str, Any] = {
        "max_bytes": settings.max_body_bytes,
        "larger": [
            (r"/v1/registrations/[^/]+/credentials", upload_limit),
            (r"/v1/me/credentials", upload_limit),
            (r"/v1/trusts/[^/]+/(aeds|policy/zones)", settings.register_max_bytes),
        ],
    }
    app.add_middleware(BodyLimit, **body_limits)
    # Before the responders' `/v1/alerts/{alert_id}/messages`, which would take "current" for an alert id.
    app.include_router(alerter_messages.router)
    for router in (admin.router, me.router, cad_router, dispatching.router, ops.router, gateway.router):
        app.include_router(router)
    app.include_router(zones_api.router)
    app.include_router(keys.router)
    app.include_router(replay.router)
    app.include_router(stats.router)
    app.include_router(coverage.router)
    app.include_router(exports.router)
    app.include_router(staff.router)
    app.include_router(sign_in.router)
    app.include_router(sso.router)
    app.include_router(onboarding.router)
    app.include_router(joining.router)
    app.include_router(wellbeing.router)
    app.include_router(alerters.router)
    app.include_router(alerter_gateway.router)
    app.add_middleware(RequestTiming)
    webhook_schema.install(app)
    app.include_router(console.router)
    pages.install(app)
    route = _route(cad_router.routes, "POST", CAD_POST_PATH)
    app.cad_post = direct.Unexpected(
        app, RequestTiming(BodyLimit(direct.CadRoute(app, route, post_incident), **body_limits))
    )
    return app


def _route(routes: list[BaseRoute], method: str, path: str) -> BaseRoute:
    return next(r for r in routes if getattr(r, "path", None) == path and method in getattr(r, "methods", ()))
