"""`make run`'s demo trust comes with a person to sign in as, not only keys."""

from __future__ import annotations

import json

from alerting import demo


async def test_the_demo_staff_login_signs_in_to_the_console_as_an_admin(stack, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "CREDENTIALS", tmp_path / "demo-credentials.json")
    assert await demo.create_demo(stack.settings) == 0
    creds = json.loads((tmp_path / "demo-credentials.json").read_text())
    login = creds["staff_login"]
    async with stack.client() as browser:
        r = await browser.post("/v1/auth/login", json={"email": login["email"], "password": login["password"]})
        assert r.status_code == 200, r.text
        assert r.json()["staff"]["trust_id"] == creds["trust_id"]
        assert r.json()["staff"]["roles"] == ["admin"]
        wrong = await browser.post("/v1/auth/login", json={"email": login["email"], "password": "not the password"})
        assert wrong.status_code == 401
