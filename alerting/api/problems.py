"""RFC 9457 problem+json for every error, so a CAD integrator parses one shape."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from alerting.api import methods
from alerting.services.errors import ServiceError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int, detail: str, *, title: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    body = {
        "type": f"/problems/{phrase.lower().replace(' ', '-')}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _field_error(e: Any) -> dict[str, str]:
    """`{loc, msg}`; a whole-model check that names the field to blame (in `ctx.loc`) is put on it."""
    ctx = e.get("ctx") or {}
    if isinstance(ctx.get("loc"), str) and isinstance(ctx.get("msg"), str):
        return {"loc": ctx["loc"], "msg": ctx["msg"]}
    return {"loc": _loc(tuple(e.get("loc", ()))), "msg": e.get("msg", "invalid")}


def _is_data_error(exc: Exception) -> bool:
    """SQLSTATE class 22 is "data exception": the value was bad, the database was fine."""
    return isinstance(exc, DataError) or str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "").startswith("22")


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        return problem(exc.status, exc.detail, title=exc.title, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in exc.errors()]
        detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5])
        return problem(422, detail or "invalid request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # the path exists: say every method it answers, and answer OPTIONS with them
            allow = methods.allowed(app, request.scope["path"])
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            headers = {**(headers or {}), "Allow": allow}
        return problem(exc.status_code, str(exc.detail), headers=headers)

    # hardening: the database refused a value (a NUL in a string, a number out of range): the
    # caller's input, so 422, not an outage.
    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DBAPIError) -> JSONResponse:  # DataError, or a class 22 SQLSTATE
        log.warning("database refused a value", extra={"error": type(exc.orig).__name__})
        return problem(
            422, "a value in the request cannot be stored (for example a NUL character); nothing was changed"
        )

    # A constraint the request broke (a duplicate that raced the check before it): the data's state,
    # not an outage. Logged as an error: the check in front of it should have answered first.
    @app.exception_handler(IntegrityError)
    async def _constraint(_: Request, exc: IntegrityError) -> JSONResponse:
        log.error("database constraint refused a change", exc_info=exc)
        return problem(409, "the change conflicts with what is stored; nothing was changed")

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        if _is_data_error(exc):
            return await _unstorable(_, exc)
        log.error("database unavailable", exc_info=exc)
        return problem(
            503, "the database is not answering; nothing was changed, retry shortly", headers={"Retry-After": "2"}
        )

    # hardening: a backing service that refuses connections (database behind a cut link, Redis
    # restarting) is a retryable outage, not a server bug.
    @app.exception_handler(ConnectionError)
    @app.exception_handler(TimeoutError)
    @app.exception_handler(RedisError)
    async def _backend_down(_: Request, exc: Exception) -> JSONResponse:
        log.error("backing service unavailable", exc_info=exc)
        return problem(
            503, "a backing service is not answering; nothing was changed, retry shortly", headers={"Retry-After": "2"}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "internal error; nothing was changed")
