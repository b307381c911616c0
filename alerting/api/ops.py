"""Health, readiness and metrics for the orchestrator and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from alerting.api.deps import ServicesDep
from alerting.api.problems import problem

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
    except Exception as exc:  # reported, not raised: readiness is the answer
        checks["redis"] = f"error: {type(exc).__name__}"
    try:
        async with services.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if all(v == "ok" for v in checks.values()):
        return {"status": "ok", **checks}
    return problem(503, "not ready", checks=checks, headers={"Retry-After": "2"})


@router.get("/metrics", summary="Prometheus text exposition")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
