"""Which alerts should also go out by push: pure, so the rule is tested without a push service.

An alert goes by push when nobody's app has acknowledged it within the policy's `ack_timeout_s`,
or at once when no process held a socket for the responder when it was published.
"""

from __future__ import annotations

from collections.abc import Collection

from alerting.domain.incident import ALERTED, ALERTING, AlertRecord, IncidentState


def due_for_push(state: IncidentState, now: float, *, no_socket: Collection[str] = ()) -> list[AlertRecord]:
    if state.status != ALERTING:
        return []
    out = []
    for alert in state.alerts.values():
        if alert.state != ALERTED or alert.delivered_at is not None or alert.expires_at <= now:
            continue
        if alert.responder_id in no_socket or now >= alert.alerted_at + state.policy.ack_timeout_s:
            out.append(alert)
    return sorted(out, key=lambda a: (a.alerted_at, a.responder_id))
