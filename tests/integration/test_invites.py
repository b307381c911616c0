"""Invites: a one-time link signs the responder client in; a spent or unknown code issues nothing."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from alerting.services import invites
from alerting.services.context import build_services
from alerting.services.errors import ServiceError
from alerting.services.unit_of_work import unit_of_work
from alerting.store.models import Credential
from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of

PROBLEM = "application/problem+json"


async def test_an_invite_signs_the_app_in_once(stack):
    trust = await make_trust(stack)
    assert (
        await trust.admin.post(
            f"/v1/trusts/{trust.id}/responders", json={"id": "newbie", "name": "New Bie", "groups": ["staff"]}
        )
    ).status_code == 201
    r = await trust.admin.post(f"/v1/trusts/{trust.id}/responders/newbie/invites")
    assert r.status_code == 201, r.text
    invite = r.json()
    url = urlsplit(invite["invite_url"])
    assert url.path == "/responder" and url.fragment == f"invite={invite['code']}"
    assert invite["expires_at"].endswith("Z") and invite["qr_svg"].startswith("data:image/svg+xml")

    async with stack.client() as phone:
        page = await phone.get(url.path)  # what the phone opens: the responder client
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]

        r = await phone.post("/v1/invites/redeem", json={"code": invite["code"]})
        assert r.status_code == 201, r.text
        signed_in = r.json()
        assert signed_in["responder_id"] == "newbie" and signed_in["token"].startswith("rsp_")

        again = await phone.post("/v1/invites/redeem", json={"code": invite["code"]})
        assert again.status_code == 410 and again.headers["content-type"].startswith(PROBLEM)
        assert again.json()["code"] == "invite_used" and "token" not in again.json()

        unknown = await phone.post("/v1/invites/redeem", json={"code": "x" * 32})
        assert unknown.status_code == 404 and unknown.json()["code"] == "invite_unknown"

    # The token works on the socket and over HTTP.
    sock = await ResponderSocket.connect(stack.ws_url, signed_in["token"])
    assert sock.ready["responder_id"] == "newbie"
    await sock.send(type="location", lat=north_of(CENTRE, 20)[0], lon=CENTRE[1])
    await sock.send(type="availability", available=True)
    await sock.roundtrip()
    r = await trust.cad.post(
        "/v1/incidents", json={"cad_ref": "INV-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"}
    )
    assert r.json()["alerted"] == 1
    assert (await sock.next("alert"))["incident_id"] == r.json()["id"]
    await sock.close()

    # Redeeming once is audited once; the code never appears in the log.
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit")).json()
    assert [a["action"] for a in audit].count("responder.invite_redeemed") == 1
    assert invite["code"] not in str(audit) and signed_in["token"] not in str(audit)
    await trust.close()


async def test_invites_are_the_trusts_own(stack):
    trust, other = await make_trust(stack), await make_trust(stack)
    await trust.responder("mine", ["staff"])
    assert (await other.admin.post(f"/v1/trusts/{trust.id}/responders/mine/invites")).status_code == 404
    assert (await trust.admin.post(f"/v1/trusts/{trust.id}/responders/nobody/invites")).status_code == 404
    async with stack.client(trust.tokens["mine"]) as responder:
        assert (await responder.post(f"/v1/trusts/{trust.id}/responders/mine/invites")).status_code == 404
    await trust.close()
    await other.close()


async def test_an_expired_invite_issues_nothing_and_a_new_one_works(stack):
    trust = await make_trust(stack)
    r = await trust.admin.post(
        f"/v1/trusts/{trust.id}/responders", json={"id": "late", "name": "Late", "groups": ["staff"]}
    )
    assert r.status_code == 201, r.text
    invite = (await trust.admin.post(f"/v1/trusts/{trust.id}/responders/late/invites")).json()
    expires = datetime.fromisoformat(invite["expires_at"].replace("Z", "+00:00")).timestamp()
    assert abs(expires - time.time() - stack.settings.invite_ttl_s) < 60

    # the same service the API runs, a second after the link's expiry
    services = build_services(stack.settings)
    services.clock = lambda: expires + 1
    try:
        with pytest.raises(ServiceError) as refused:
            async with unit_of_work(services) as uow:
                await invites.redeem(uow, code=invite["code"])
        assert refused.value.status == 410 and refused.value.extra["code"] == "invite_expired"
        async with services.sessions() as session:
            tokens = (
                await session.execute(
                    select(func.count()).select_from(Credential).where(Credential.responder_id == "late")
                )
            ).scalar()
        assert tokens == 0  # nothing was issued
    finally:
        await services.aclose()
    audit = (await trust.admin.get(f"/v1/trusts/{trust.id}/audit", params={"action": "responder."})).json()
    assert "responder.invite_redeemed" not in [a["action"] for a in audit]

    # the refused link changed nothing: a new one signs the phone in
    async with httpx.AsyncClient(base_url=stack.base_url) as phone:
        fresh = (await trust.admin.post(f"/v1/trusts/{trust.id}/responders/late/invites")).json()
        r = await phone.post("/v1/invites/redeem", json={"code": fresh["code"]})
        assert r.status_code == 201 and r.json()["responder_id"] == "late"
    await trust.close()
