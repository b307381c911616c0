"""Single sign-on against a real OpenID Provider on loopback (authlib's server): discovery, JWKS and
its rotation, PKCE, and every way an ID token or an attempt can be wrong."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.clients import make_trust
from tests.support.oidc_provider import OpenIDProvider
from tests.support.staff import email_for, invite

PROBLEM = "application/problem+json"
DOMAIN = "trust.nhs.test"


@pytest.fixture(scope="module")
def provider():
    op = OpenIDProvider().start()
    yield op
    op.stop()


async def connect(stack, trust, op: OpenIDProvider, **extra) -> dict:
    client = op.register_client(f"{stack.base_url}/v1/auth/sso/callback")
    body = {"issuer": op.issuer, "client_id": client.client_id, "client_secret": client.client_secret, **extra}
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/sso", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def person(trust, op: OpenIDProvider, *, roles=("dispatcher",), name="Dana Cole", create=True) -> str:
    email = email_for("dana", DOMAIN)
    if create:
        await invite(trust, roles=list(roles), name=name, email=email)
    op.add_user(email, name)
    op.sign_in_as(email)
    return email


async def to_provider(browser: httpx.AsyncClient, trust_id: str) -> str:
    """Starts the sign-in and lets the provider answer; returns the callback URL it redirects to."""
    start = await browser.get(f"/v1/auth/sso/{trust_id}/login", params={"next": "/admin#map"})
    assert start.status_code == 302, start.text
    at_op = await browser.get(start.headers["location"])
    assert at_op.status_code == 302, at_op.text
    return at_op.headers["location"]


async def sign_in(browser: httpx.AsyncClient, trust_id: str) -> httpx.Response:
    return await browser.get(await to_provider(browser, trust_id))


def refused(r: httpx.Response, status: int) -> bool:
    return (
        r.status_code == status
        and r.headers["content-type"].startswith(PROBLEM)
        and "alerting_session" not in r.headers.get("set-cookie", "")
    )


async def test_a_person_signs_in_through_the_trusts_provider_with_pkce(stack, provider):
    trust = await make_trust(stack)
    shown = await connect(stack, trust, provider, allowed_domains=[DOMAIN], name="NHS Care Identity")
    assert shown["client_secret_set"] is True and "client_secret" not in shown
    got = (await trust.admin.get(f"/v1/trusts/{trust.id}/sso")).json()
    assert got["redirect_uri"] == f"{stack.base_url}/v1/auth/sso/callback" and "client_secret" not in got
    info = (await httpx.AsyncClient(base_url=stack.base_url).get(f"/v1/auth/sso/{trust.id}")).json()
    assert info["name"] == "NHS Care Identity"
    email = await person(trust, provider)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        start = await browser.get(f"/v1/auth/sso/{trust.id}/login")
        query = parse_qs(urlsplit(start.headers["location"]).query)
        assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
        assert query["state"] and query["nonce"] and query["client_id"]
        at_op = await browser.get(start.headers["location"])
        done = await browser.get(at_op.headers["location"])
        assert done.status_code == 302 and done.headers["location"] == "/admin", done.text
        cookie = done.headers["set-cookie"].lower()
        assert "alerting_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        me = (await browser.get("/v1/whoami")).json()
        assert me["kind"] == "staff" and me["name"] == "Dana Cole" and me["roles"] == ["dispatcher"]
        assert (await browser.get(f"/v1/trusts/{trust.id}/incidents")).status_code == 200
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()
    assert any(e["action"] == "staff.sign_in" and e["after"] == {"name": "Dana Cole", "method": "sso"} for e in audit)
    assert any(s["email"] == email for s in (await trust.admin.get(f"/v1/trusts/{trust.id}/staff")).json())
    await trust.close()


async def test_the_provider_rotates_its_keys_mid_test(stack, provider):
    trust = await make_trust(stack)
    await connect(stack, trust, provider)
    await person(trust, provider)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        assert (await sign_in(browser, trust.id)).status_code == 302
    fetches = provider.jwks_fetches
    provider.rotate_keys(keep_old=False)  # the old key is gone from the JWKS: tokens use the new kid
    try:
        async with httpx.AsyncClient(base_url=stack.base_url) as browser:
            r = await sign_in(browser, trust.id)
            assert r.status_code == 302, r.text
            assert (await browser.get("/v1/whoami")).json()["kind"] == "staff"
        assert provider.jwks_fetches == fetches + 1  # fetched again once, for the unknown key
    finally:
        provider.rotate_keys(keep_old=True)
    await trust.close()


@pytest.mark.parametrize(
    "misbehave",
    [
        pytest.param({"forge": True}, id="signed-with-a-key-not-in-the-jwks"),
        pytest.param({"claims_override": {"aud": ["someone-else"]}}, id="wrong-audience"),
        pytest.param({"claims_override": {"exp": 1_000_000_000, "iat": 999_999_000}}, id="expired"),
        pytest.param({"claims_override": {"iss": "https://impostor.example"}}, id="wrong-issuer"),
    ],
)
async def test_a_bad_id_token_signs_no_one_in(stack, provider, misbehave):
    trust = await make_trust(stack)
    await connect(stack, trust, provider)
    await person(trust, provider)
    for key, value in misbehave.items():
        setattr(provider, key, value)
    try:
        async with httpx.AsyncClient(base_url=stack.base_url) as browser:
            r = await sign_in(browser, trust.id)
            assert refused(r, 401), r.text
            assert (await browser.get("/v1/whoami")).status_code == 401
    finally:
        provider.forge, provider.claims_override = False, {}
    await trust.close()


async def test_a_replayed_state_or_nonce_is_refused(stack, provider):
    trust = await make_trust(stack)
    await connect(stack, trust, provider)
    await person(trust, provider)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        callback = await to_provider(browser, trust.id)
        assert (await browser.get(callback)).status_code == 302
        assert refused(await browser.get(callback), 400)  # the same state again
    # an ID token carrying the nonce of an earlier attempt
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        start = await browser.get(f"/v1/auth/sso/{trust.id}/login")
        old_nonce = parse_qs(urlsplit(start.headers["location"]).query)["nonce"][0]
    provider.nonce_override = old_nonce
    try:
        async with httpx.AsyncClient(base_url=stack.base_url) as browser:
            assert refused(await sign_in(browser, trust.id), 401)
    finally:
        provider.nonce_override = None
    await trust.close()


async def test_an_attempt_finishes_only_in_the_browser_that_started_it(stack, provider):
    trust = await make_trust(stack)
    await connect(stack, trust, provider)
    await person(trust, provider)
    async with httpx.AsyncClient(base_url=stack.base_url) as victim, httpx.AsyncClient() as attacker:
        callback = await to_provider(victim, trust.id)
        assert refused(await attacker.get(callback), 400)  # no binding cookie
        assert refused(await victim.get(callback), 400)  # and the attempt is spent
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        assert refused(await browser.get("/v1/auth/sso/callback", params={"state": "made-up", "code": "x"}), 400)
    await trust.close()


async def test_only_active_members_with_an_allowed_verified_email_sign_in(stack, provider):
    trust = await make_trust(stack)
    await connect(stack, trust, provider, allowed_domains=[DOMAIN])
    base = f"/v1/trusts/{trust.id}/staff"
    # not a member of the trust
    await person(trust, provider, create=False)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        assert refused(await sign_in(browser, trust.id), 403)
    # a deactivated member
    email = await person(trust, provider)
    member = next(s for s in (await trust.admin.get(base)).json() if s["email"] == email)
    await trust.admin.patch(f"{base}/{member['id']}", json={"active": False})
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        assert refused(await sign_in(browser, trust.id), 403)
    # an email domain the trust does not allow, even for a member
    outsider = email_for("x", "elsewhere.test")
    await invite(trust, roles=["viewer"], email=outsider)
    provider.add_user(outsider, "Outsider")
    provider.sign_in_as(outsider)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        assert refused(await sign_in(browser, trust.id), 403)
    # an email the provider has not verified
    unverified = email_for("u", DOMAIN)
    await invite(trust, roles=["viewer"], email=unverified)
    provider.add_user(unverified, "Unverified", email_verified=False)
    provider.sign_in_as(unverified)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        assert refused(await sign_in(browser, trust.id), 403)
    assert len((await trust.admin.get(base)).json()) == 3  # nobody was created
    await trust.close()


async def test_a_trust_may_let_unknown_people_in_as_viewers(stack, provider):
    trust = await make_trust(stack)
    await connect(stack, trust, provider, create_viewers=True)
    await person(trust, provider, name="New Starter", create=False)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        assert (await sign_in(browser, trust.id)).status_code == 302
        me = (await browser.get("/v1/whoami")).json()
        assert me["roles"] == ["viewer"] and me["name"] == "New Starter"
        refused_edit = await browser.put(
            f"/v1/trusts/{trust.id}/policy", json={"phases": []}, headers={"X-CSRF-Token": me["csrf_token"]}
        )
        assert refused_edit.status_code == 403
    await trust.close()


async def test_connecting_a_provider_that_does_not_answer_saves_nothing(stack, provider):
    trust = await make_trust(stack)
    for issuer in ("http://127.0.0.1:9", "ftp://idp.example", f"{provider.issuer}/wrong"):
        r = await trust.admin.put(
            f"/v1/trusts/{trust.id}/sso", json={"issuer": issuer, "client_id": "c", "client_secret": "s"}
        )
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), (issuer, r.text)
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/sso")).status_code == 404
    assert (await httpx.AsyncClient(base_url=stack.base_url).get(f"/v1/auth/sso/{trust.id}/login")).status_code == 404
    await trust.close()


async def test_an_expired_attempt_is_refused(stack, provider):
    trust = await make_trust(stack)
    await connect(stack, trust, provider)
    await person(trust, provider)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        callback = await to_provider(browser, trust.id)
        state = parse_qs(urlsplit(callback).query)["state"][0]
        # what the attempt's TTL does, done at once: the record is gone from Redis
        key = f"{stack.settings.redis_prefix}sso:attempt:{hashlib.sha256(state.encode()).hexdigest()}"
        assert await stack.redis.ttl(key) > 0
        await stack.redis.delete(key)
        assert refused(await browser.get(callback), 400)
    await trust.close()


async def test_settings_change_without_the_secret_keeps_it_and_the_first_setup_needs_it(stack, provider):
    trust = await make_trust(stack)
    client = provider.register_client(f"{stack.base_url}/v1/auth/sso/callback")
    base = {"issuer": provider.issuer, "client_id": client.client_id}
    first = await trust.admin.put(f"/v1/trusts/{trust.id}/sso", json=base)
    assert first.status_code == 422 and "client_secret" in [e["loc"] for e in first.json()["errors"]]
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/sso")).status_code == 404  # nothing saved
    assert (
        await trust.admin.put(f"/v1/trusts/{trust.id}/sso", json={**base, "client_secret": client.client_secret})
    ).status_code == 200
    again = await trust.admin.put(f"/v1/trusts/{trust.id}/sso", json={**base, "allowed_domains": [DOMAIN]})
    assert again.status_code == 200, again.text
    entry = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "sso.update"})).json()[0]
    assert entry["changes"] == ["allowed email domains none → trust.nhs.test"]
    await person(trust, provider)
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        done = await sign_in(browser, trust.id)  # the secret kept is the one the provider checks
        assert done.status_code == 302 and "alerting_session" in done.headers.get("set-cookie", ""), done.text
    await trust.close()
