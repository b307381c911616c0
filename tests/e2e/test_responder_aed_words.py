"""An AED imported from OpenStreetMap reads in words on the phone: no id made of coordinates, and
its access tag as a sentence."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from tests.e2e.browser import assert_fits_width, screenshot, until
from tests.e2e.responder_phone import TALL, join, phone_page, staff_near
from tests.support.clients import CENTRE, make_trust, north_of

pytestmark = pytest.mark.e2e

POLICY = {
    "phases": [{"name": "all", "groups": ["staff"], "radius_m": 1000, "delay_s": 0}],
    "accept_limit": 1,
    "alert_ttl_s": 300,
    "categories": ["09-*"],
}


async def test_an_unnamed_osm_aed_is_described_in_words(stack, browsing):
    trust = await make_trust(stack, policy=POLICY)
    await trust.responder("ann", ["staff"])
    aed_at = north_of(CENTRE, 60)
    overpass = {
        "version": 0.6,
        "generator": "Overpass API",
        "elements": [
            {
                "type": "node",
                "id": 1,
                "lat": aed_at[0],
                "lon": aed_at[1],
                "tags": {"emergency": "defibrillator", "access": "customers"},
            }
        ],
    }
    r = await trust.admin.put(
        f"/v1/trusts/{trust.id}/aeds",
        content=json.dumps(overpass).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    phone = await phone_page(browsing, north_of(CENTRE, 300), viewport=TALL)
    await join(phone, trust, "ann")
    await until(lambda: staff_near(trust, CENTRE, 1))
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "OSM-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201 and r.json()["alerted"] == 1, r.text
    card = phone.locator("article.alert-card")
    await expect(card).to_contain_text("Nearest defibrillator: 60 m from the patient")
    await expect(card).to_contain_text("For customers: ask inside")
    await expect(card).not_to_contain_text("node/1")
    await assert_fits_width(phone)
    await screenshot(phone, "osm-aed-alert-390")
