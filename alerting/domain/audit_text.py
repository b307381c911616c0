"""Audit entries in words: who acted (`{kind, id, name}`), what they did ("Changed the policy"),
what it was about ("Priya Shah", "policy version 3") and what changed, field by field ("phase
'trusted' radius 200 → 300 m", "zone 'rural north' added", "roles Viewer → Dispatcher").

Pure: the store keeps the recorded before and after documents, which never change; this reads
them, so an entry written long ago reads as well as today's. Codes the API speaks (roles, travel
modes, flags, statuses) are turned into the words a person reads; identifiers are resolved by the
caller (`Names`) or left out of the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alerting.domain.audit_values import LABELS, value_text

__all__ = ["ACTION_TEXT", "KIND_NAMES", "Names", "action_text", "actor_of", "changes", "subject"]

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
# Actors that are not a credential: what the platform did on someone's behalf.
_SYSTEM_NAMES = {
    "system": "system",
    "applicant": "a volunteer applying",
    "system:single-sign-on": "single sign-on (first sign-in)",
}

ACTION_TEXT = {
    "admin_key.rotate": "Rotated the API key",
    "aeds.replace": "Replaced the defibrillators",
    "alerter.create": "Added an alerter",
    "alerter.erase": "Erased an alerter",
    "alerter.invite": "Invited an alerter",
    "alerter.invite_redeemed": "Joined as an alerter",
    "alerter.open_invite": "Made a new open link for alerters",
    "alerter.raise": "Raised an alert",
    "alerter.raise_refused": "Tried to raise an alert, refused",
    "alerter.reinstate": "Reinstated an alerter",
    "alerter.suspend": "Suspended an alerter",
    "cad_key.rotate": "Rotated the CAD key",
    "credential.upload": "Uploaded a credential",
    "credential.verify": "Verified a credential",
    "group.create": "Added a group",
    "incident.alert": "Alerted a responder by hand",
    "incident.cancel": "Cancelled an incident",
    "incident.confirm": "Confirmed a raised alert",
    "incident.escalate": "Fired the next phase early",
    "incident.export": "Exported an incident record",
    "incident.message": "Messaged the responders",
    "policy.update": "Changed the policy",
    "registration.apply": "Applied to volunteer",
    "registration.approve": "Approved a registration",
    "registration.refuse": "Refused a registration",
    "registration.settings": "Changed registration settings",
    "responder.create": "Added a responder",
    "responder.erase": "Erased a responder",
    "responder.invite": "Invited a responder",
    "responder.invite_redeemed": "Joined from an invite",
    "responder.profile": "Changed their profile",
    "responder.token": "Issued a responder token",
    "responder.update": "Changed a responder",
    "sso.update": "Changed single sign-on",
    "staff.create": "Added a staff member",
    "staff.delete": "Removed a staff member",
    "staff.invite": "Invited a staff member",
    "staff.password_set": "Set their password",
    "staff.sign_in": "Signed in",
    "staff.update": "Changed a staff member",
    "trust.create": "Created the trust",
    "trust.update": "Changed the trust's settings",
}
# Recorded fields that say who the entry is about rather than what changed.
_NAMING = {"name"}
# Recorded facts that read as a sentence of their own when true.
_SENTENCES = {"client_secret_replaced": "client secret replaced"}
_HIDDEN = {"client_secret_set", "updated_at", "outcome"}  # `outcome`: the action says it already
_WHOLE = {"quiet_hours", "on_duty_hours"}  # maps that read as one value


@dataclass(frozen=True, slots=True)
class Names:
    """Words for identifiers the store can resolve: groups by id, and each entry's target (a
    responder pseudonym whose link still exists, an incident's CAD reference)."""

    groups: Mapping[str, str] = field(default_factory=dict)
    targets: Mapping[str, str] = field(default_factory=dict)
    responders: Mapping[str, str] = field(default_factory=dict)  # responder id -> name, for actors
    responder_ids: Mapping[str, str] = field(default_factory=dict)  # pseudonym -> responder id
    alerters: Mapping[str, str] = field(default_factory=dict)  # alerter pseudonym (or id) -> name, for actors


def action_text(action: str) -> str:
    known = ACTION_TEXT.get(action)
    if known:
        return known
    return re.sub(r"[._]+", " ", action).strip().capitalize()


def actor_of(actor: str, name: str | None = None, names: Names | None = None) -> dict[str, str]:
    """`{kind, id, name}` for an audit actor string; `name` is the person's name when recorded."""
    parts = actor.split(":")
    kind = _KINDS.get(parts[0]) if len(parts) == 3 else None
    if kind is None:
        fallback = _SYSTEM_NAMES.get(actor) or f"system ({actor.replace('system:', '').replace('-', ' ')})"
        return {"kind": "system", "id": actor, "name": name or fallback}
    ident = parts[1] if kind in ("responder", "alerter") else parts[2]
    if name:
        return {"kind": kind, "id": ident, "name": name}
    if kind == "admin_key":
        default = "API key" if parts[2] == "env" else f"API key …{parts[2][-6:]}"
    elif kind == "responder":
        found = names.responders.get(ident) if names else None
        default = f"responder {found}" if found else "a responder"
    elif kind == "alerter":
        found = names.alerters.get(ident) if names else None
        default = f"alerter {found}" if found else "an erased alerter" if ident.startswith("ps_") else "an alerter"
    else:
        default = KIND_NAMES[kind]
    return {"kind": kind, "id": ident, "name": default}


def _named(before: Any, after: Any) -> str | None:
    for doc in (after, before):
        if isinstance(doc, Mapping) and isinstance(doc.get("name"), str) and doc["name"]:
            return str(doc["name"])
    return None


def subject(target: str | None, before: Any = None, after: Any = None, names: Names | None = None) -> str:
    """What an entry is about, in words; "" when it is about the trust as a whole."""
    if not target:
        return ""
    resolved = names.targets.get(target) if names else None
    kind, _, ident = target.partition(" ")
    if kind == "responder" and ident.startswith("ps_"):
        return f"responder {resolved}" if resolved else "an erased responder"
    if kind == "staff":
        return _named(before, after) or "a staff member"
    if kind == "group":
        return f"group '{_named(before, after) or ident}'"
    if kind == "alerter" and ident.startswith("ps_"):
        return f"alerter {resolved}" if resolved else "an erased alerter"
    if kind == "alerter":  # entries from before alerters had pseudonyms
        found = resolved or _named(before, after)
        return f"alerter {found}" if found else "an alerter"
    if kind == "incident":
        return f"incident {resolved}" if resolved else "an incident"
    if kind == "registration" and ident:
        return "an application to volunteer"
    if kind == "policy" and ident.startswith("v") and ident[1:].isdigit():
        return f"policy version {ident[1:]}"
    fixed = {
        "aeds": "the defibrillator list",
        "cad key": "the CAD key",
        "API key": "the API key",
        "registration": "self-registration",
        "single sign-on": "single sign-on",
        "open alerter invite": "the open link for alerters",
        "trust settings": "the trust's settings",
    }
    if target in fixed:
        return fixed[target]
    if isinstance(after, Mapping) and "name" in after and before is None:  # trust.create names the trust
        return str(after["name"])
    return target


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


def _field_change(prefix: str, key: str, old: Any, new: Any, names: Names) -> list[str]:
    if key in _SENTENCES:
        return [f"{prefix}{_SENTENCES[key]}"] if new else []
    if key == "active" and isinstance(new, bool) and isinstance(old, bool):
        return [f"{prefix}{'reactivated' if new else 'deactivated'}"]
    if (isinstance(old, Mapping) or isinstance(new, Mapping)) and key not in _WHOLE:
        return _mapping_changes(f"{prefix}{_label(key)} ", key, old, new, names)
    a, b = value_text(key, old, names.groups), value_text(key, new, names.groups)
    unit = b.rpartition(" ")[2]
    if " " in a and " " in b and a.rpartition(" ")[2] == unit and a.rpartition(" ")[0].replace(".", "").isdigit():
        a = a.rpartition(" ")[0]  # "200 → 300 m", not "200 m → 300 m"
    return [f"{prefix}{_label(key)} {a} → {b}"]


def _mapping_changes(prefix: str, key: str, old: Any, new: Any, names: Names) -> list[str]:
    """A map recorded whole (category labels, the aftercare section): one line per entry changed."""
    a: Mapping[str, Any] = old if isinstance(old, Mapping) else {}
    b: Mapping[str, Any] = new if isinstance(new, Mapping) else {}
    out: list[str] = []
    for k in dict.fromkeys([*a, *b]):
        if a.get(k) == b.get(k):
            continue
        inner = f"{prefix}'{k}'" if key in ("category_labels", "outcome_texts") else f"{prefix}{_label(k)}"
        if k not in a:
            out.append(f"{inner} set to {value_text(k, b[k], names.groups)}")
        elif k not in b:
            out.append(f"{inner} removed (was {value_text(k, a[k], names.groups)})")
        else:
            out.append(f"{inner} {value_text(k, a[k], names.groups)} → {value_text(k, b[k], names.groups)}")
    return out


def _by_name(items: Any) -> dict[str, Mapping[str, Any]]:
    return {str(i.get("name")): i for i in items or [] if isinstance(i, Mapping)}


def _phase_summary(phase: Mapping[str, Any], names: Names) -> str:
    groups = value_text("groups", phase.get("groups"), names.groups)
    delay = value_text("delay_s", phase.get("delay_s", 0))
    return f"{groups} within {value_text('radius_m', phase.get('radius_m'))} after {delay}"


def _phases(prefix: str, before: Any, after: Any, names: Names) -> list[str]:
    old, new = _by_name(before), _by_name(after)
    out = [f"{prefix}phase '{n}' added: {_phase_summary(new[n], names)}" for n in new if n not in old]
    out += [f"{prefix}phase '{n}' removed" for n in old if n not in new]
    for n in new:
        if n in old:
            for key in sorted(set(old[n]) | set(new[n])):
                if key != "name" and old[n].get(key) != new[n].get(key):
                    out += _field_change(f"{prefix}phase '{n}' ", key, old[n].get(key), new[n].get(key), names)
    return out


def _zones(before: Any, after: Any, names: Names) -> list[str]:
    old, new = _by_name(before), _by_name(after)
    out = [f"zone '{n}' added" for n in new if n not in old]
    out += [f"zone '{n}' removed" for n in old if n not in new]
    for n in new:
        if n in old:
            if old[n].get("area") != new[n].get("area"):
                out.append(f"zone '{n}' area redrawn")
            out += _phases(f"zone '{n}' ", old[n].get("phases"), new[n].get("phases"), names)
            if old[n].get("accept_limit") != new[n].get("accept_limit"):
                out += _field_change(
                    f"zone '{n}' ", "accept_limit", old[n].get("accept_limit"), new[n].get("accept_limit"), names
                )
    return out


def _listed(key: str, value: Any, names: Names) -> list[str]:
    """One recorded field of a document that was created or removed whole."""
    if key in _HIDDEN or key in _NAMING:
        return []
    if key in _SENTENCES:
        return [_SENTENCES[key]] if value else []
    if key == "phases":
        return [f"phase '{p.get('name')}': {_phase_summary(p, names)}" for p in value or [] if isinstance(p, Mapping)]
    if key == "zones":
        return [f"zone '{n}'" for n in _by_name(value)]
    if isinstance(value, Mapping) and key not in _WHOLE:
        return _mapping_changes(f"{_label(key)} ", key, {}, value, names)
    return [f"{_label(key)}: {value_text(key, value, names.groups)}"]


def changes(before: Any, after: Any, names: Names | None = None) -> list[str]:
    """What changed between two recorded documents, one line per field a person would name."""
    names = names or Names()
    if not isinstance(after, Mapping) and not isinstance(before, Mapping):
        return []
    old: Mapping[str, Any] = before if isinstance(before, Mapping) else {}
    new: Mapping[str, Any] = after if isinstance(after, Mapping) else {}
    if not old or not new:
        return [line for key, value in (new or old).items() for line in _listed(key, value, names)]
    out: list[str] = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b or key in _HIDDEN:
            continue
        if key not in old:  # recorded after only: what it was about, not a change
            out += _listed(key, b, names)
        elif key == "phases":
            out += _phases("", a, b, names)
        elif key == "zones":
            out += _zones(a, b, names)
        else:
            out += _field_change("", key, a, b, names)
    return out
