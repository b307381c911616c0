"""Named staff: invites, email and password sign-in, the session cookie, roles, and every refusal."""

from __future__ import annotations

import httpx
import pytest

from tests.support.clients import TWO_PHASES, make_trust
from tests.support.stack import Stack, Worker, free_port, make_settings
from tests.support.staff import PASSWORD, email_for, invite, login, signed_in

PROBLEM = "application/problem+json"


class NoWorker(Worker):
    """Sign-in needs no Celery worker."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.fixture(scope="module")
async def strict_stack(pg_url):
    """A deployment whose invites and sessions expire almost at once, and whose sign-in throttle is tight."""
    settings = make_settings(
        pg_url,
        login_failures_per_account=3,
        login_failures_per_address=6,
        login_failure_window_s=3_600,
    )
    s = Stack(settings, free_port(), NoWorker(settings))
    await s.start()
    yield s
    await s.stop()


def is_problem(r: httpx.Response, status: int) -> bool:
    return r.status_code == status and r.headers["content-type"].startswith(PROBLEM)


async def test_an_invited_person_sets_a_password_signs_in_and_out(stack):
    trust = await make_trust(stack)
    created = await invite(trust, roles=["policy", "viewer"], name="Priya Shah")
    assert created["roles"] == ["viewer", "policy"] and created["has_password"] is False
    assert created["invite_url"].endswith(f"/admin#invite={created['invite_code']}")
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        r = await browser.post(f"/v1/auth/invites/{created['invite_code']}", json={"password": PASSWORD})
        assert r.status_code == 200 and r.json()["staff"]["has_password"] is True
        r = await browser.post("/v1/auth/login", json={"email": created["email"].upper(), "password": PASSWORD})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["staff"] == {
            "id": created["id"],
            "email": created["email"],
            "name": "Priya Shah",
            "trust_id": trust.id,
            "roles": ["viewer", "policy"],
        }
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # development
        me = (await browser.get("/v1/whoami")).json()
        assert me["kind"] == "staff" and me["name"] == "Priya Shah" and me["csrf_token"] == body["csrf_token"]
        # the policy role may change the policy, with the CSRF token
        headers = {"X-CSRF-Token": body["csrf_token"]}
        r = await browser.put(f"/v1/trusts/{trust.id}/policy", json=TWO_PHASES, headers=headers)
        assert r.status_code == 200, r.text
        assert (await browser.post("/v1/auth/logout", headers=headers)).status_code == 204
        assert is_problem(await browser.get("/v1/whoami"), 401)
    await trust.close()


async def test_wrong_password_and_unknown_email_answer_alike_and_sign_no_one_in(stack):
    trust = await make_trust(stack)
    person = await signed_in(stack, trust, roles=["viewer"])
    wrong = await login(stack, person.email, "not the password at all")
    unknown = await login(stack, email_for("nobody"), PASSWORD)
    not_set = await login(stack, (await invite(trust, roles=["viewer"]))["email"], PASSWORD)
    for r in (wrong, unknown, not_set):
        assert is_problem(r, 401) and "set-cookie" not in r.headers
        assert r.json()["detail"] == wrong.json()["detail"]
    await person.close()
    await trust.close()


async def test_an_invite_works_once(stack):
    trust = await make_trust(stack)
    created = await invite(trust, roles=["viewer"])
    code = created["invite_code"]
    async with httpx.AsyncClient(base_url=stack.base_url) as anon:
        short = await anon.post(f"/v1/auth/invites/{code}", json={"password": "short"})
        assert is_problem(short, 422)  # refused, and the invite is still good
        assert (await anon.post(f"/v1/auth/invites/{code}", json={"password": PASSWORD})).status_code == 200
        again = await anon.post(f"/v1/auth/invites/{code}", json={"password": "another long password"})
        assert is_problem(again, 404)
    assert (await login(stack, created["email"], PASSWORD)).status_code == 200
    assert is_problem(await login(stack, created["email"], "another long password"), 401)
    await trust.close()


async def test_an_expired_invite_is_refused(pg_url):
    settings = make_settings(pg_url, staff_invite_ttl_s=0.001)
    s = Stack(settings, free_port(), NoWorker(settings))
    await s.start()
    try:
        trust = await make_trust(s)
        created = await invite(trust, roles=["viewer"])
        async with httpx.AsyncClient(base_url=s.base_url) as anon:
            r = await anon.post(f"/v1/auth/invites/{created['invite_code']}", json={"password": PASSWORD})
        assert is_problem(r, 410)
        assert (await trust.admin.get(f"/v1/trusts/{trust.id}/staff/{created['id']}")).json()["has_password"] is False
        await trust.close()
    finally:
        await s.stop()


async def test_sessions_end_after_the_idle_and_the_absolute_timeout(pg_url):
    for timeouts in ({"session_idle_timeout_s": 0.001}, {"session_absolute_timeout_s": 0.001}):
        settings = make_settings(pg_url, **timeouts)
        s = Stack(settings, free_port(), NoWorker(settings))
        await s.start()
        try:
            trust = await make_trust(s)
            person = await signed_in(s, trust, roles=["viewer"])
            assert is_problem(await person.http.get("/v1/whoami"), 401), timeouts
            await person.close()
            await trust.close()
        finally:
            await s.stop()


async def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(stack):
    trust = await make_trust(stack)
    person = await signed_in(stack, trust, roles=["policy"])
    before = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    changed = {**TWO_PHASES, "accept_limit": 3}
    for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "forged"}):
        r = await person.http.put(f"/v1/trusts/{trust.id}/policy", json=changed, headers=headers)
        assert is_problem(r, 403), r.text
    del person.http.headers["X-CSRF-Token"]
    assert is_problem(await person.http.put(f"/v1/trusts/{trust.id}/policy", json=changed), 403)
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json() == before
    assert (await person.http.get(f"/v1/trusts/{trust.id}/policy")).status_code == 200  # reads need no token
    await person.close()
    await trust.close()


async def test_a_session_of_one_trust_finds_nothing_of_another(stack):
    a, b = await make_trust(stack), await make_trust(stack)
    person = await signed_in(stack, a, roles=["admin"])
    for method, path in (("GET", f"/v1/trusts/{b.id}"), ("PUT", f"/v1/trusts/{b.id}/policy")):
        r = await person.http.request(method, path, json=TWO_PHASES if method == "PUT" else None)
        assert is_problem(r, 404), r.text
    await person.close()
    await a.close()
    await b.close()


async def test_a_viewer_reads_but_the_api_refuses_their_changes(stack):
    trust = await make_trust(stack)
    viewer = await signed_in(stack, trust, roles=["viewer"])
    assert (await viewer.http.get(f"/v1/trusts/{trust.id}/policy")).status_code == 200
    r = await viewer.http.put(f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, "accept_limit": 3})
    assert is_problem(r, 403) and "policy editor" in r.json()["detail"]
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()["accept_limit"] == 1
    await viewer.close()
    await trust.close()


async def test_deactivating_a_person_ends_their_session_at_once(stack):
    trust = await make_trust(stack)
    person = await signed_in(stack, trust, roles=["dispatcher"])
    assert (await person.http.get("/v1/whoami")).status_code == 200
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/staff/{person.id}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert is_problem(await person.http.get("/v1/whoami"), 401)
    assert is_problem(await login(stack, person.email), 401)  # and they cannot sign in again
    r = await trust.admin.patch(f"/v1/trusts/{trust.id}/staff/{person.id}", json={"active": True})
    assert is_problem(await person.http.get("/v1/whoami"), 401)  # reactivation brings no old session back
    assert (await login(stack, person.email)).status_code == 200
    await person.close()
    await trust.close()


async def test_a_change_of_roles_applies_to_the_next_request(stack):
    trust = await make_trust(stack)
    person = await signed_in(stack, trust, roles=["viewer"])
    path = f"/v1/trusts/{trust.id}/policy"
    assert is_problem(await person.http.put(path, json=TWO_PHASES), 403)
    await trust.admin.patch(f"/v1/trusts/{trust.id}/staff/{person.id}", json={"roles": ["viewer", "policy"]})
    assert (await person.http.put(path, json=TWO_PHASES)).status_code == 200
    await person.close()
    await trust.close()


async def test_erasing_a_person_ends_their_session(stack):
    trust = await make_trust(stack)
    person = await signed_in(stack, trust, roles=["viewer"])
    assert (await trust.admin.delete(f"/v1/trusts/{trust.id}/staff/{person.id}")).status_code == 204
    assert is_problem(await person.http.get("/v1/whoami"), 401)
    assert is_problem(await trust.admin.get(f"/v1/trusts/{trust.id}/staff/{person.id}"), 404)
    await person.close()
    await trust.close()


async def test_failed_sign_ins_are_throttled_per_account_even_for_the_right_password(strict_stack):
    trust = await make_trust(strict_stack)
    person = await signed_in(strict_stack, trust, roles=["viewer"])
    for _ in range(3):
        assert is_problem(await login(strict_stack, person.email, "wrong password here"), 401)
    r = await login(strict_stack, person.email, PASSWORD)
    assert is_problem(r, 429) and int(r.headers["Retry-After"]) >= 1
    assert "set-cookie" not in r.headers
    await person.close()
    await trust.close()


async def test_failed_sign_ins_are_throttled_per_address_across_accounts(strict_stack):
    trust = await make_trust(strict_stack)
    # the per-account test above may have spent some of this address's failures already
    statuses = [
        (await login(strict_stack, email_for(f"guess{i}"), "wrong password here")).status_code for i in range(7)
    ]
    assert statuses[-1] == 429 and set(statuses) <= {401, 429}
    await trust.close()


async def test_the_admin_key_rotates_with_a_grace_period(stack):
    trust = await make_trust(stack)
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/admin-key/rotate")
    assert r.status_code == 201, r.text
    new_key, until = r.json()["admin_key"], r.json()["previous_valid_until"]
    assert until is not None
    assert (await trust.admin.get(f"/v1/trusts/{trust.id}")).status_code == 200  # old key: within grace
    async with stack.client(new_key) as fresh:
        assert (await fresh.get(f"/v1/trusts/{trust.id}")).status_code == 200
        r = await fresh.post(f"/v1/trusts/{trust.id}/admin-key/rotate", json={"grace_s": 0})
        assert r.status_code == 201
        assert is_problem(await fresh.get(f"/v1/trusts/{trust.id}"), 401)  # replaced with no grace
    assert is_problem(await trust.admin.get(f"/v1/trusts/{trust.id}"), 401)
    async with stack.client(r.json()["admin_key"]) as newest:
        assert (await newest.get(f"/v1/trusts/{trust.id}")).status_code == 200
    await trust.close()


async def test_staff_management_refuses_bad_input(stack):
    trust = await make_trust(stack)
    base = f"/v1/trusts/{trust.id}/staff"
    created = await invite(trust, roles=["viewer"])
    dup = await trust.admin.post(base, json={"email": created["email"], "name": "Again", "roles": ["viewer"]})
    assert is_problem(dup, 409)
    for body in (
        {"email": "not-an-email", "name": "X", "roles": ["viewer"]},
        {"email": email_for("x"), "name": "X", "roles": ["superuser"]},
        {"email": email_for("x"), "name": "X", "roles": []},
    ):
        assert is_problem(await trust.admin.post(base, json=body), 422), body
    assert len((await trust.admin.get(base)).json()) == 1
    await trust.close()
