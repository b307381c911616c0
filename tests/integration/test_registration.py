"""Self-registration: apply, upload credentials (checked by content), approval, and then eligible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of
from tests.support.documents import FAKE_PDF, PDF, PNG, form

PROBLEM = "application/problem+json"


def next_year() -> str:
    return (datetime.now(UTC).date() + timedelta(days=365)).isoformat()


async def _open(trust, **extra) -> None:
    body = {"open": True, "groups": ["community"], "required_credentials": ["cpr"], **extra}
    r = await trust.admin.put(f"/v1/trusts/{trust.id}/registration", json=body)
    assert r.status_code == 200, r.text


async def test_self_registration_to_approval_to_alerted(stack):
    trust = await make_trust(stack)
    base = f"/v1/trusts/{trust.id}"
    public = stack.client()
    assert (await public.post(f"{base}/registrations", json={"name": "Early Bird"})).status_code == 404  # closed
    await _open(trust)
    assert (await trust.admin.get(f"{base}/registration")).json()["open"] is True

    r = await public.post(f"{base}/registrations", json={"name": "Vol Unteer", "email": "vol@example.org"})
    assert r.status_code == 201, r.text
    reg = r.json()
    assert reg["required_credentials"] == ["cpr"] and reg["upload_token"]
    upload = f"/v1/registrations/{reg['id']}/credentials"
    token = {"Authorization": f"Bearer {reg['upload_token']}"}

    assert (await public.post(upload, **form("cpr", next_year(), PDF))).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await public.post(upload, headers=wrong, **form("cpr", next_year(), PDF))).status_code == 404

    # A web page named and declared as a PDF is refused by its content; nothing is stored.
    r = await public.post(upload, headers=token, **form("cpr", next_year(), FAKE_PDF))
    assert r.status_code == 415 and r.headers["content-type"].startswith(PROBLEM), r.text
    # So is a file over the limit, whatever it starts with.
    big = PNG + b"\x00" * (stack.settings.credential_max_bytes + 1 - len(PNG))
    r = await public.post(upload, headers=token, **form("cpr", next_year(), big, name="big.png", declared="image/png"))
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
    listed = (await trust.admin.get(f"{base}/registrations", params={"status": "pending"})).json()
    assert [x["id"] for x in listed] == [reg["id"]] and listed[0]["credentials"] == []

    # A real PDF, even named .png and declared as an image, is stored as what it is.
    r = await public.post(upload, headers=token, **form("cpr", next_year(), PDF, name="scan.png", declared="image/png"))
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == "application/pdf" and r.json()["status"] == "pending"
    cred_id = r.json()["id"]
    listed = (await trust.admin.get(f"{base}/registrations")).json()
    assert listed[0]["name"] == "Vol Unteer" and [c["id"] for c in listed[0]["credentials"]] == [cred_id]
    f = await trust.admin.get(f"{base}/registrations/{reg['id']}/credentials/{cred_id}/file")
    assert f.status_code == 200 and f.content == PDF

    # Another trust sees none of it and cannot decide it.
    other = await make_trust(stack)
    assert (await other.admin.get(f"{base}/registrations")).status_code == 404
    assert (await other.admin.post(f"{base}/registrations/{reg['id']}/approve", json={})).status_code == 404
    assert (
        await other.admin.post(f"/v1/trusts/{other.id}/registrations/{reg['id']}/approve", json={})
    ).status_code == 404

    r = await trust.admin.post(f"{base}/registrations/{reg['id']}/approve", json={"groups": ["community"]})
    assert r.status_code == 201, r.text
    approved = r.json()
    assert approved["missing_credentials"] == [] and approved["invite_url"].endswith(f"#invite={approved['code']}")
    again = await trust.admin.post(f"{base}/registrations/{reg['id']}/approve", json={})
    assert again.status_code == 409
    assert (await public.post(upload, headers=token, **form("cpr", next_year(), PDF))).status_code == 409

    r = await public.post("/v1/invites/redeem", json={"code": approved["code"]})
    assert r.status_code == 201 and r.json()["responder_id"] == approved["responder_id"]
    sock = await ResponderSocket.connect(stack.ws_url, r.json()["token"])
    here = north_of(CENTRE, 300)
    await sock.send(type="location", lat=here[0], lon=here[1])
    await sock.send(type="availability", available=True)
    await sock.roundtrip()
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "REG-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201
    alert = await sock.next("alert", timeout=15)  # the community phase, 2 s in
    assert alert["incident_id"] == r.json()["id"]
    creds = (await trust.admin.get(f"{base}/responders/{approved['responder_id']}/credentials")).json()
    assert creds["missing"] == [] and creds["credentials"][0]["status"] == "verified"
    await sock.close()
    await public.aclose()
    await trust.close()
    await other.close()


async def test_a_refusal_deletes_the_files_and_applications_are_rate_limited(stack):
    trust = await make_trust(stack)
    base = f"/v1/trusts/{trust.id}"
    await _open(trust)
    public = stack.client()
    reg = (await public.post(f"{base}/registrations", json={"name": "Not Yet"})).json()
    token = {"Authorization": f"Bearer {reg['upload_token']}"}
    r = await public.post(f"/v1/registrations/{reg['id']}/credentials", headers=token, **form("cpr", next_year(), PDF))
    cred_id = r.json()["id"]
    r = await trust.admin.post(f"{base}/registrations/{reg['id']}/refuse", json={"reason": "outside our area"})
    assert r.status_code == 200 and r.json()["status"] == "refused" and r.json()["credentials"] == []
    assert (await trust.admin.get(f"{base}/registrations/{reg['id']}/credentials/{cred_id}/file")).status_code == 404
    assert (await trust.admin.post(f"{base}/registrations/{reg['id']}/refuse", json={"reason": "x"})).status_code == 409

    burst = stack.settings.registration_burst
    answers = [
        (await public.post(f"{base}/registrations", json={"name": f"Applicant {i}"})).status_code for i in range(burst)
    ]
    assert answers == [201] * (burst - 1) + [429]  # the first application above took one
    r = await public.post(f"{base}/registrations", json={"name": "One more"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert len((await trust.admin.get(f"{base}/registrations")).json()) == burst
    await public.aclose()
    await trust.close()
