"""Audit entries in words: who acted (`{kind, id, name}`), and what changed, field by field
("phase 'trusted' radius 200 → 300 m", "zone 'rural north' added"). Pure: the store keeps the
before and after documents; this reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["KIND_NAMES", "actor_of", "changes"]

# The audit's `actor` string is "<credential kind>:<trust or responder>:<credential or person id>".
_KINDS = {"staff": "staff", "admin": "admin_key", "cad": "cad_key", "operator": "operator", "responder": "responder"}
_KINDS |= {"alerter": "alerter"}
KIND_NAMES = {
    "staff": "staff member",
    "admin_key": "API key",
    "cad_key": "CAD key",
    "operator": "platform operator",
    "responder": "responder",
    "alerter": "alerter",
    "system": "system",
}
UNITS = {"radius_m": "m", "delay_s": "s", "alert_ttl_s": "s", "location_max_age_s": "s", "ack_timeout_s": "s"}
LABELS = {
    "radius_m": "radius",
    "delay_s": "delay",
    "max_alerts": "alert limit",
    "accept_limit": "accept limit",
    "alert_ttl_s": "alert lifetime",
    "location_max_age_s": "location age limit",
    "max_alerts_per_hour": "alerts per hour limit",
    "ack_timeout_s": "acknowledgement timeout",
}


def actor_of(actor: str, name: str | None = None) -> dict[str, str]:
    """`{kind, id, name}` for an audit actor string; `name` is the person's name when recorded."""
    parts = actor.split(":")
    kind = _KINDS.get(parts[0]) if len(parts) == 3 else None
    if kind is None:
        return {"kind": "system", "id": actor, "name": name or ("system" if actor == "system" else f"system ({actor})")}
    ident = parts[1] if kind == "responder" else parts[2]
    default = KIND_NAMES[kind] if kind != "admin_key" else f"API key …{parts[2][-6:]}"
    return {"kind": kind, "id": ident, "name": name or default}


def _value(value: Any, field: str = "") -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "none"
    if value is None:
        return "none"
    unit = UNITS.get(field)
    return f"{value} {unit}" if unit else str(value)


def _field_change(prefix: str, field: str, old: Any, new: Any) -> str:
    label = LABELS.get(field, field.replace("_", " "))
    unit = UNITS.get(field)
    if unit and isinstance(old, int | float) and isinstance(new, int | float):
        return f"{prefix}{label} {_value(old)} → {_value(new)} {unit}"
    return f"{prefix}{label} {_value(old, field)} → {_value(new, field)}"


def _by_name(items: Any) -> dict[str, Mapping[str, Any]]:
    return {str(i.get("name")): i for i in items or [] if isinstance(i, Mapping)}


def _phases(prefix: str, before: Any, after: Any) -> list[str]:
    old, new = _by_name(before), _by_name(after)
    out = [f"{prefix}phase '{n}' added" for n in new if n not in old]
    out += [f"{prefix}phase '{n}' removed" for n in old if n not in new]
    for n in new:
        if n in old:
            for field in sorted(set(old[n]) | set(new[n]) - {"name"}):
                if field != "name" and old[n].get(field) != new[n].get(field):
                    out.append(_field_change(f"{prefix}phase '{n}' ", field, old[n].get(field), new[n].get(field)))
    return out


def _zones(before: Any, after: Any) -> list[str]:
    old, new = _by_name(before), _by_name(after)
    out = [f"zone '{n}' added" for n in new if n not in old]
    out += [f"zone '{n}' removed" for n in old if n not in new]
    for n in new:
        if n in old:
            if old[n].get("area") != new[n].get("area"):
                out.append(f"zone '{n}' area redrawn")
            out += _phases(f"zone '{n}' ", old[n].get("phases"), new[n].get("phases"))
            if old[n].get("accept_limit") != new[n].get("accept_limit"):
                out.append(
                    _field_change(
                        f"zone '{n}' ", "accept_limit", old[n].get("accept_limit"), new[n].get("accept_limit")
                    )
                )
    return out


def changes(before: Any, after: Any) -> list[str]:
    """What changed between two recorded documents, one line per field a person would name."""
    if not isinstance(after, Mapping) and not isinstance(before, Mapping):
        return []
    old: Mapping[str, Any] = before if isinstance(before, Mapping) else {}
    new: Mapping[str, Any] = after if isinstance(after, Mapping) else {}
    if not old:
        return [f"{k.replace('_', ' ')}: {_value(v, k)}" for k, v in new.items() if k != "zones"] + (
            [f"zone '{n}' added" for n in _by_name(new.get("zones"))]
        )
    if not new:
        return [f"{k.replace('_', ' ')} was {_value(v, k)}" for k, v in old.items()]
    out: list[str] = []
    for key in list(dict.fromkeys([*old, *new])):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "phases":
            out += _phases("", a, b)
        elif key == "zones":
            out += _zones(a, b)
        else:
            out.append(_field_change("", key, a, b))
    return out
