"""The words for one recorded value of the audit: a field's label, its unit, and the codes the API
speaks ("policy" → "Policy editor", "after_accept" → "after accepting", 3600 s → "1 h")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from alerting.domain.roles import ROLE_LABELS, Role

__all__ = ["LABELS", "value_text"]

LABELS = {
    "incidents_kept": "their alerts kept",
    "radius_m": "radius",
    "delay_s": "delay",
    "max_alerts": "alert limit",
    "accept_limit": "accept limit",
    "alert_ttl_s": "alert lifetime",
    "location_max_age_s": "location age limit",
    "max_alerts_per_hour": "alerts per hour limit",
    "ack_timeout_s": "acknowledgement timeout",
    "answer_s": "time to answer before a replacement",
    "ambulance_margin_s": "ambulance margin",
    "only_if_faster_than_ambulance": "only if faster than the ambulance",
    "replace_declined": "replace a responder who declines",
    "cap_polygon_centroid": "CAP areas placed at their centre",
    "reveal_address": "address shown",
    "category_labels": "category label",
    "exclude_flags": "calls not alerted",
    "categories": "categories alerted",
    "private_locations": "may be sent into private homes",
    "trusted": "trusted group",
    "grace_s": "grace period",
    "previous_keys": "keys replaced",
    "previous_valid_until": "previous key works until",
    "previous_keys_expire_at": "previous key works until",
    "invite_expires_at": "invite valid until",
    "expires_at": "valid until",
    "expires_on": "valid until",
    "media_type": "file type",
    "size": "file size",
    "allowed_domains": "allowed email domains",
    "create_viewers": "new people let in as viewers",
    "client_id": "client id",
    "method": "signed in with",
    "via": "added through",
    "required_credentials": "credentials required",
    "open": "open to applications",
    "travel_mode": "travel",
    "carries_aed": "carries a defibrillator",
    "quiet_hours": "quiet hours",
    "on_duty_hours": "on-duty hours",
    "check_in_after_s": "check-in after",
    "share_outcome": "outcome shared",
    "count": "defibrillators",
    "kind": "credential",
    "decline_reason": "reason",
    "cad_ref": "CAD reference",
    "recipients": "responders messaged",
    "alerter": "alerters",
    "mode": "raised alerts",
    "who": "who may alert",
    "emergency_number": "emergency number",
    "max_per_day": "alerts a day per alerter",
    "confirm_timeout_s": "an alarm nobody confirmed closed after",
    "accuracy_m": "position accurate to",
    "replaced_earlier": "an earlier link replaced",
    "outcome": "outcome",
    "refusal": "refused because",
    "alerter_callback_url": "CAD address for raised alerts",
}
_DURATIONS = {k for k in LABELS if k.endswith("_s")} | {"alert_ttl_s", "delay_s", "location_max_age_s"}
_CODES: dict[str, Mapping[str, str]] = {
    "roles": {r.value: ROLE_LABELS[r].capitalize() for r in Role},
    "travel_mode": {"foot": "on foot", "bike": "by bike", "car": "by car"},
    "method": {"password": "email and password", "sso": "single sign-on"},
    "reveal_address": {"always": "always", "after_accept": "after accepting"},
    "status": {
        "active": "active",
        "suspended": "suspended",
        "pending": "waiting to be checked",
        "verified": "verified",
        "refused": "refused",
        "approved": "approved",
        "alerting": "alerting responders",
        "awaiting_confirmation": "waiting for a dispatcher to confirm",
    },
    "mode": {"auto": "alert responders at once", "confirm": "wait for a dispatcher to confirm"},
    "who": {"registered": "invited alerters", "anyone": "anyone with the open link"},
    "outcome": {"raised": "raised", "refused": "refused"},
    # why a raise was refused: the codes of its problem+json answer
    "refusal": {
        "alerter_suspended": "the alerter is suspended",
        "alerters_disabled": "the trust is not taking alerts from alerters",
        "outside_area": "the place is outside the trust's area",
        "alert_open": "their earlier alert is still open",
        "daily_limit": "they raised as many alerts as a day allows",
    },
    "exclude_flags": {
        "care_home": "care home",
        "expected_death": "expected death",
        "unsafe_scene": "unsafe scene",
        "child": "child",
        "trauma": "trauma",
        "police_required": "police required",
    },
    "media_type": {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"},
    "language": {"en": "English", "en-GB": "English", "cy": "Welsh", "cy-GB": "Welsh"},
}
_WEEKDAYS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|\+00:00)$")


def _duration(seconds: float) -> str:
    s = int(seconds) if float(seconds).is_integer() else seconds
    if isinstance(s, int) and s >= 3600 and s % 3600 == 0:
        return f"{s // 3600} h"
    if isinstance(s, int) and s >= 120 and s % 60 == 0:
        return f"{s // 60} min"
    return f"{s} s"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _hours(value: Mapping[str, Any]) -> str:
    """`{start, end, tz, days?}` as "22:00–07:00 (Europe/London)"."""
    days = value.get("days")
    when = f"{value.get('start')}–{value.get('end')}"
    if isinstance(days, list) and days:
        when = f"{', '.join(_WEEKDAYS.get(str(d), str(d)) for d in days)} {when}"
    return f"{when} ({value['tz']})" if value.get("tz") else when


def value_text(key: str, value: Any, groups: Mapping[str, str] | None = None) -> str:
    """One recorded value as a person reads it; `groups` names group ids."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in ("quiet_hours", "on_duty_hours"):
        if isinstance(value, Mapping):
            return _hours(value)
        if isinstance(value, list):
            return "; ".join(_hours(v) for v in value if isinstance(v, Mapping)) or "none"
    if isinstance(value, list):
        return ", ".join(value_text(key, v, groups) for v in value) or "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {value_text(k, v, groups)}" for k, v in value.items()) or "none"
    if key == "groups" and groups:
        return groups.get(str(value), str(value))
    if key in _CODES:
        return _CODES[key].get(str(value), str(value).replace("_", " "))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if key in ("radius_m", "accuracy_m"):
            return f"{value:g} m"
        if key in _DURATIONS or key.endswith("_s"):
            return _duration(value)
        if key == "size":
            return _size(int(value))
        return f"{value:g}"
    if isinstance(value, str):
        stamp = _ISO_TIME.match(value)
        if stamp:
            return f"{stamp.group(1)} {stamp.group(2)} UTC"
    return str(value)
