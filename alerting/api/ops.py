"""Health, readiness and metrics for the orchestrator and Prometheus."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from alerting.api.deps import ServicesDep
from alerting.api.problems import problem
from alerting.metrics import QUEUE_DEPTH

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Redis and the database answer")
async def readyz(services: ServicesDep):
    checks: dict[str, str] = {}
    try:
        await services.redis.ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as exc:  # reported, not raised: readiness is the answer
        checks["redis"] = f"error: {type(exc).__name__}"
    try:
        async with services.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except (SQLAlchemyError, OSError) as exc:  # OSError: a driver that cannot connect raises it unwrapped
        checks["database"] = f"error: {type(exc).__name__}"
    if all(v == "ok" for v in checks.values()):
        return {"status": "ok", **checks}
    return problem(503, "not ready", checks=checks, headers={"Retry-After": "2"})


@router.get("/metrics", summary="Prometheus text exposition", response_class=PlainTextResponse)
async def metrics(services: ServicesDep) -> Response:
    """Alerts sent, accepts, sockets open, queue depth and latency histograms."""
    QUEUE_DEPTH.set(await asyncio.to_thread(services.tasks.depth))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
