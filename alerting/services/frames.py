"""Server-to-client frames of the responder protocol, built from records."""

from __future__ import annotations

from typing import Any

from alerting.domain.alerters import ALERTER_CATEGORY, RAISED_LABEL
from alerting.domain.disclosure import address_withheld, area_hint, category_label, private_place
from alerting.domain.incident import AedInfo, AlertRecord
from alerting.domain.policy import Policy
from alerting.domain.vocabulary import ErrorCode
from alerting.timefmt import iso


def aed_view(aed: AedInfo | None) -> dict[str, Any] | None:
    if aed is None:
        return None
    view = {
        "id": aed.id,
        "name": aed.name,
        "access": aed.access,
        "lat": aed.lat,
        "lon": aed.lon,
        "distance_m": round(aed.distance_m, 1),
    }
    if aed.opening_hours is not None:
        view["opening_hours"] = aed.opening_hours
    return view


def alert_frame(
    *,
    incident_id: str,
    category: str,
    lat: float,
    lon: float,
    address: str | None,
    alert: AlertRecord,
    aed: AedInfo | None,
    location_type: str,
    policy: Policy,
) -> dict[str, Any]:
    """Before acceptance a withheld address becomes `area_hint` (alerting/domain/disclosure.py)."""
    frame: dict[str, Any] = {
        "type": "alert",
        "alert_id": alert.alert_id,
        "incident_id": incident_id,
        "category": category,
        "lat": lat,
        "lon": lon,
        "distance_m": alert.distance_m,
        "expires_at": iso(alert.expires_at),
        "state": alert.state,
        "private_place": private_place(location_type),
        "location_type": location_type,  # `unknown` (a bystander's raise, say) is not a known home
    }
    label = category_label(category, policy.category_labels)
    if label is None and category == ALERTER_CATEGORY:
        label = RAISED_LABEL  # no CAD has coded a raised alert: say what it is
    if label:
        frame["category_label"] = label
    if address:
        if address_withheld(policy.reveal_address, location_type, alert.state):
            hint = area_hint(address)
            if hint:
                frame["area_hint"] = hint
        else:
            frame["address"] = address
    if aed is not None:
        frame["aed"] = aed_view(aed)
    if alert.ahead_of_ambulance_s is not None:
        frame["ahead_of_ambulance_s"] = alert.ahead_of_ambulance_s
    return frame


def assigned_frame(alert_id: str, role: str, address: str | None = None) -> dict[str, Any]:
    """Carries the address: an accepted responder is told where to go whatever the alert withheld."""
    frame: dict[str, Any] = {"type": "assigned", "alert_id": alert_id, "role": role}
    if address:
        frame["address"] = address
    return frame


def stand_down_frame(alert_id: str, reason: str) -> dict[str, Any]:
    return {"type": "stand_down", "alert_id": alert_id, "reason": reason}


def declined_frame(alert_id: str, reason: str | None) -> dict[str, Any]:
    """The responder's decline is recorded: every device of theirs stops ringing for this alert."""
    return {"type": "declined", "alert_id": alert_id, **({"reason": reason} if reason else {})}


def status_frame(alert_id: str, status: str, at: float) -> dict[str, Any]:
    """The answer to a status from the scene: recorded, and since when."""
    return {"type": "status", "alert_id": alert_id, "status": status, "at": iso(at)}


def message_frame(alert_id: str, text: str, at: float, sender: str = "control") -> dict[str, Any]:
    """Words to one responder about their alert: from the control room, or from the alerter who
    raised the incident (`from: "alerter"`)."""
    return {"type": "message", "alert_id": alert_id, "from": sender, "text": text, "at": iso(at)}


def outcome_frame(alert_id: str, incident_id: str, outcome: str, text: str) -> dict[str, Any]:
    """What became of the patient, in the trust's words, for a responder who accepted."""
    return {"type": "outcome", "alert_id": alert_id, "incident_id": incident_id, "outcome": outcome, "text": text}


def error_frame(code: ErrorCode, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, **extra}
