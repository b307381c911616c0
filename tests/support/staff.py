"""Test helpers for named staff: invite a person, set their password, sign them in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    """A signed-in browser: the session cookie in the client's jar, the CSRF header set on it."""

    id: str
    email: str
    name: str
    http: httpx.AsyncClient
    csrf_token: str

    async def close(self) -> None:
        await self.http.aclose()


def email_for(label: str, domain: str = "trust.nhs.test") -> str:
    return f"{label}.{uuid.uuid4().hex[:6]}@{domain}"


async def invite(trust, *, roles: list[str], name: str = "Sam Taylor", email: str | None = None) -> dict:
    r = await trust.admin.post(
        f"/v1/trusts/{trust.id}/staff", json={"email": email or email_for("staff"), "name": name, "roles": roles}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def login(stack, email: str, password: str = PASSWORD) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as anon:
        return await anon.post("/v1/auth/login", json={"email": email, "password": password})


async def signed_in(stack, trust, *, roles: list[str], name: str = "Sam Taylor", email: str | None = None) -> Person:
    """A person invited by the trust's admin key, with a password set, signed in."""
    created = await invite(trust, roles=roles, name=name, email=email)
    http = httpx.AsyncClient(base_url=stack.base_url, timeout=30)
    r = await http.post(f"/v1/auth/invites/{created['invite_code']}", json={"password": PASSWORD})
    assert r.status_code == 200, r.text
    r = await http.post("/v1/auth/login", json={"email": created["email"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    http.headers["X-CSRF-Token"] = csrf
    return Person(created["id"], created["email"], name, http, csrf)
