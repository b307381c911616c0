"""What a native push (FCM, APNs) carries, and the words its notification shows.

Web Push payloads are encrypted for the browser alone; FCM and APNs payloads are readable by
Google and Apple on the way. So an alert's native push carries no place (no coordinates, address,
area hint or AED): only what lets the phone ring and say what and how far, and the ids the app
uses to fetch the whole alert over the API (`GET /v1/me/alerts`, or the socket's `ready`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["notification", "third_party_payload"]

# The alert frame's fields that may pass through a third party's push service.
ALERT_FIELDS = ("type", "alert_id", "incident_id", "category", "category_label", "distance_m", "expires_at", "state")


def third_party_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The frame as FCM and APNs may carry it: an alert without its place; anything else as it is."""
    if payload.get("type") == "alert":
        return {k: payload[k] for k in ALERT_FIELDS if k in payload}
    return dict(payload)


def notification(payload: dict[str, Any]) -> tuple[str, str]:
    """(title, body) for the phone's notification: words, never identifiers."""
    if payload.get("type") == "alert":
        label = payload.get("category_label")
        title = f"Emergency nearby: {label}" if label else "Emergency nearby"
        distance = payload.get("distance_m")
        where = f"About {round(distance)} m from you. " if isinstance(distance, int | float) else ""
        return title, f"{where}Open the app to answer."
    if payload.get("type") == "reminder" and payload.get("text"):
        return "Your credentials", str(payload["text"])
    return "Responder alerting", "Open the app to see what is new."
