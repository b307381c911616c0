"""End-to-end fixtures: deployments of real processes, and Debian's Chromium driven by Playwright
against the real stack on loopback.

No browser is downloaded: scripts/ensure-chromium.sh installs /usr/bin/chromium, and the pages'
Leaflet comes from scripts/build-web.sh (run here when its output is missing).
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VENDOR, Browsing
from tests.support.processes import Deployment
from tests.support.stack import ROOT, make_settings


@pytest.fixture(scope="module")
async def two_nodes(pg_url):
    """Two API processes and a worker on loopback, with fast server pings and a small send queue."""
    dep = Deployment.create(
        make_settings(pg_url),
        nodes=2,
        extra_env={
            "ALERTING_WS_PING_INTERVAL_S": "1",
            "ALERTING_WS_AUTH_TIMEOUT_S": "1",
            "ALERTING_WS_SEND_QUEUE": "8",
            "ALERTING_PUSH_ALLOW_HTTP": "1",
        },
    )
    await asyncio.to_thread(dep.start)
    yield dep
    await asyncio.to_thread(dep.stop)


@pytest.fixture(scope="session")
def web_assets() -> Path:
    if not VENDOR.exists():
        subprocess.run([str(ROOT / "scripts" / "build-web.sh")], check=True)
    return VENDOR


@pytest.fixture(scope="session")
async def browser(web_assets) -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (installs Debian's chromium)")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        await b.close()


@pytest.fixture
async def browsing(browser):
    session = Browsing(browser)
    yield session
    await session.close()
    assert session.errors == [], session.errors
