"""Serves the pages (console, responder, alerter) and their static files. Settings reach the pages as <meta> tags, so every
script is a static file and the content security policy forbids inline code."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from alerting.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter(include_in_schema=False)


def tile_origin(url_template: str) -> str | None:
    """The origin a tile URL template loads from, `{s}` subdomains as a wildcard, for the CSP."""
    parts = urlsplit(url_template.replace("{s}", "SUBDOMAIN"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.netloc.replace("SUBDOMAIN", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: Settings) -> str:
    tiles = tile_origin(settings.web_tile_url)
    img = " ".join(filter(None, ["'self'", "data:", tiles]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


@lru_cache(maxsize=4)
def _template(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def render(name: str, settings: Settings) -> str:
    values = {"tile_url": settings.web_tile_url, "tile_attribution": settings.web_tile_attribution}
    page = _template(name)
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    return page


def _page(request: Request, name: str) -> HTMLResponse:
    settings: Settings = request.app.state.services.settings
    return HTMLResponse(
        render(name, settings),
        headers={
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


@router.get("/admin")
async def admin_page(request: Request) -> HTMLResponse:
    return _page(request, "admin.html")


@router.get("/responder")
async def responder_page(request: Request) -> HTMLResponse:
    return _page(request, "responder.html")


def _service_worker(name: str, scope: str) -> FileResponse:
    """Served beside its page so the worker may control it (its scope is the page's path)."""
    return FileResponse(
        STATIC / name,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": scope, "Cache-Control": "no-cache"},
    )


def _manifest(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/responder/sw.js")
async def responder_service_worker() -> FileResponse:
    return _service_worker("responder-sw.js", "/responder")


@router.get("/responder/manifest.webmanifest")
async def responder_manifest() -> FileResponse:
    """The web app manifest that makes the responder page installable (start URL and scope /responder)."""
    return _manifest("responder.webmanifest")


@router.get("/alert")
async def alerter_page(request: Request) -> HTMLResponse:
    """The alerter's page: one button that calls the emergency number and alerts responders."""
    return _page(request, "alerter.html")


@router.get("/alert/sw.js")
async def alerter_service_worker() -> FileResponse:
    """The alerter page's offline shell."""
    return _service_worker("alerter-sw.js", "/alert")


@router.get("/alert/manifest.webmanifest")
async def alerter_manifest() -> FileResponse:
    """Makes the alerter page installable on its own (start URL and scope /alert)."""
    return _manifest("alerter.webmanifest")


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/web", StaticFiles(directory=STATIC), name="web")
