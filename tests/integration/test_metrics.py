"""GET /metrics counts what happened: alerts, accepts, sockets, latencies, queue depth."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support.clients import CENTRE, ResponderSocket, make_trust, north_of
from tests.support.procs_faults import until


async def _samples(stack) -> dict[tuple[str, tuple], float]:
    async with stack.client() as http:
        r = await http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_an_incident_moves_the_counters_and_histograms(stack):
    trust = await make_trust(stack)
    token = await trust.responder("r1", ["staff"])
    before = await _samples(stack)
    sock = await ResponderSocket.connect(stack.ws_url, token)
    await sock.send(type="location", lat=north_of(CENTRE, 30)[0], lon=CENTRE[1])
    await sock.roundtrip()
    during = await _samples(stack)
    assert _value(during, "alerting_sockets_open") == _value(before, "alerting_sockets_open") + 1

    created = (
        await trust.cad.post(
            "/v1/incidents",
            json={
                "cad_ref": "MET-1",
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "category": "09-E-01",
                "location_type": "public",
            },
        )
    ).json()
    alert = await sock.next("alert", incident_id=created["id"])
    await sock.send(type="accept", alert_id=alert["alert_id"])
    await sock.next("assigned", alert_id=alert["alert_id"])
    await sock.close()
    after = await _samples(stack)

    assert _value(after, "alerting_alerts_sent_total") == _value(before, "alerting_alerts_sent_total") + 1
    assert (
        _value(after, "alerting_accepts_total", outcome="won")
        == _value(before, "alerting_accepts_total", outcome="won") + 1
    )
    assert (
        _value(after, "alerting_alert_latency_seconds_count")
        == _value(before, "alerting_alert_latency_seconds_count") + 1
    )
    assert _value(after, "alerting_phase_lag_seconds_count") >= _value(before, "alerting_phase_lag_seconds_count") + 1
    posted = dict(method="POST", route="/v1/incidents", status="201")
    assert (
        _value(after, "alerting_http_request_seconds_count", **posted)
        == _value(before, "alerting_http_request_seconds_count", **posted) + 1
    )

    async def socket_counted_out() -> bool:
        return _value(await _samples(stack), "alerting_sockets_open") == _value(before, "alerting_sockets_open")

    await until(socket_counted_out, timeout=10, what="the closed socket leaving the gauge")
    assert ("alerting_queue_depth", ()) in after
    await trust.close()
