"""The CAD's `POST /v1/incidents` served without FastAPI's routing and dependency solving.

It is the busiest request there is (a CAD may post a hundred incidents a second), and about a
tenth of its CPU went to the layers around its handler: matching it against every route, solving
its five dependencies (the services, the bearer scheme, the cookie, who is calling, that it is a
CAD key), the exit stack and the exception middleware. Here it passes through the same
middlewares of ours (`RequestTiming`, `BodyLimit`), then the same functions the dependencies are
made of, in the same order (`deps.cad_caller`), and the same handler; an exception answers through
the app's own exception handlers, as Starlette would have chosen them, and an unexpected one is
the same logged 500, raised on to the server afterwards. The route stays declared in its router,
which documents it and answers every other method on the path.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerting.api import deps
from alerting.services.auth import Principal
from alerting.services.context import Services

Endpoint = Callable[[Request, Services, Principal], Awaitable[Response]]


def _handler(handlers: dict[Any, Any], exc: Exception) -> Any:
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


async def _answer(handler: Any, request: Request, exc: Exception) -> Response:
    """An exception handler's response; Starlette takes plain functions as well as coroutines."""
    answer = handler(request, exc)
    return await answer if inspect.isawaitable(answer) else answer


class CadRoute:
    """The handler with what FastAPI's routing gave it: the app and route in the scope, the caller
    from the dependencies' own functions, and the app's handlers for what it raises."""

    def __init__(self, app: FastAPI, route: BaseRoute, endpoint: Endpoint):
        self.app, self.route, self.endpoint = app, route, endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"], scope["route"], scope["endpoint"] = self.app, self.route, self.endpoint
        request = Request(scope, receive)
        services: Services = self.app.state.services
        try:
            response = await self.endpoint(request, services, await deps.cad_caller(services, request))
        except Exception as exc:
            handlers = {k: v for k, v in self.app.exception_handlers.items() if k not in (500, Exception)}
            handler = _handler(handlers, exc)
            if handler is None:
                raise  # to `Unexpected`, outside the timing, as Starlette's server-error middleware is
            response = await _answer(handler, request, exc)
        await response(scope, receive, send)


class Unexpected:
    """An exception no handler took: the app's 500 (`problems.install`), then raised to the server,
    which logs it, as Starlette's `ServerErrorMiddleware` does."""

    def __init__(self, app: FastAPI, inner: ASGIApp):
        self.app, self.inner = app, inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.inner(scope, receive, tracking_send)
        except Exception as exc:
            handlers = self.app.exception_handlers
            handler = handlers.get(500) or handlers.get(Exception)
            if not started and handler is not None:
                await (await _answer(handler, Request(scope, receive), exc))(scope, receive, send)
            raise
