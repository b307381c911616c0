"""Server-to-client frames of the alerter's socket (`/v1/alerters/ws`), built from the domain's
summary; the words the alerter's page shows are its own, these carry numbers and codes."""

from __future__ import annotations

from typing import Any

from alerting.domain.alerter_help import HelpSummary
from alerting.services.frames import aed_view
from alerting.timefmt import iso

__all__ = ["help_frame", "message_frame", "ready_frame", "stand_down_frame"]


def ready_frame(alerter_id: str, incident_id: str | None) -> dict[str, Any]:
    """The first frame: who is signed in, and the open alert followed (None: none yet)."""
    return {"type": "ready", "alerter_id": alerter_id, "incident_id": incident_id}


def help_frame(summary: HelpSummary) -> dict[str, Any]:
    """`reason_code` only when the alert ended for a reason its status does not say."""
    frame = {
        "type": "help",
        "incident_id": summary.incident_id,
        "status": summary.status.value,
        "accepted": summary.accepted,
        "on_scene": summary.on_scene,
        "alerted": summary.alerted,
        "nearest_m": summary.nearest_m,
        "eta_s": summary.eta_s,
        "aed": aed_view(summary.aed),
    }
    return frame | ({"reason_code": summary.reason_code} if summary.reason_code else {})


def message_frame(incident_id: str, sender: str, text: str, at: float) -> dict[str, Any]:
    return {"type": "message", "incident_id": incident_id, "from": sender, "text": text, "at": iso(at)}


def stand_down_frame(incident_id: str, reason: str, reason_code: str | None = None) -> dict[str, Any]:
    frame = {"type": "stand_down", "incident_id": incident_id, "reason": reason}
    return frame | ({"reason_code": reason_code} if reason_code else {})
