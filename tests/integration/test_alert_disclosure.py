"""What the alert frame tells before acceptance: category in words, private place, area or address."""

from __future__ import annotations

from tests.support.clients import CENTRE, TWO_PHASES, ResponderSocket, make_trust, north_of, online

LABELS = {"09-E-*": "Cardiac or respiratory arrest", "09-E-01": "Cardiac arrest — not breathing"}
HOME = "12 Acacia Avenue, Headingley, Leeds LS6 2AB"


def incident(ref: str, location_type: str, category: str = "09-E-01") -> dict:
    return {
        "cad_ref": ref,
        "lat": CENTRE[0],
        "lon": CENTRE[1],
        "category": category,
        "location_type": location_type,
        "address": HOME,
    }


async def test_a_private_address_waits_for_the_accept_and_labels_say_what_it_is(stack):
    trust = await make_trust(stack, policy={**TWO_PHASES, "category_labels": LABELS})
    got = (await trust.admin.get(f"/v1/trusts/{trust.id}/policy")).json()
    assert got["category_labels"] == LABELS and "reveal_address" not in got
    await trust.responder("medic", ["staff"])
    sock = await online(stack, trust, "medic", north_of(CENTRE, 30))

    r = await trust.cad.post("/v1/incidents", json=incident("HOME-1", "private"))
    alert = await sock.next("alert", incident_id=r.json()["id"])
    assert alert["category"] == "09-E-01" and alert["category_label"] == "Cardiac arrest — not breathing"
    assert alert["private_place"] is True and "address" not in alert
    assert alert["area_hint"] == "Headingley, Leeds LS6"
    pushed_later = (await stack.client(trust.tokens["medic"]).get("/v1/me/alerts")).json()
    assert "address" not in pushed_later[0] and pushed_later[0]["area_hint"] == "Headingley, Leeds LS6"

    await sock.send(type="accept", alert_id=alert["alert_id"])
    assigned = await sock.next("assigned", alert_id=alert["alert_id"])
    assert assigned["address"] == HOME
    await sock.close()
    again = await ResponderSocket.connect(stack.ws_url, trust.tokens["medic"])  # re-sent on reconnect: accepted now
    assert again.ready["pending"][0]["address"] == HOME and "area_hint" not in again.ready["pending"][0]
    await again.close()

    # A public place shows its address at once; a pattern labels a code not listed exactly.
    await trust.responder("second", ["staff"])
    sock2 = await online(stack, trust, "second", north_of(CENTRE, 40))
    r = await trust.cad.post("/v1/incidents", json=incident("STATION-1", "public", category="09-E-02"))
    alert = await sock2.next("alert", incident_id=r.json()["id"])
    assert alert["address"] == HOME and alert["private_place"] is False and "area_hint" not in alert
    assert alert["category_label"] == "Cardiac or respiratory arrest"
    await sock2.close()
    await trust.close()


async def test_a_trust_may_reveal_every_address_at_once(stack):
    trust = await make_trust(stack, policy={**TWO_PHASES, "reveal_address": "always"})
    await trust.responder("medic", ["staff"])
    sock = await online(stack, trust, "medic", north_of(CENTRE, 30))
    r = await trust.cad.post("/v1/incidents", json=incident("HOME-2", "unknown"))
    alert = await sock.next("alert", incident_id=r.json()["id"])
    assert alert["address"] == HOME and alert["private_place"] is True and "category_label" not in alert
    bad = await trust.admin.put(
        f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, "category_labels": {"09-E-01 <script>": "x"}}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"].startswith("category_labels")
    bad = await trust.admin.put(f"/v1/trusts/{trust.id}/policy", json={**TWO_PHASES, "reveal_address": "never"})
    assert bad.status_code == 422
    await sock.close()
    await trust.close()
