"""NENA STA-021 EIDO JSON (`application/eido+json`) onto an incident report.

Read as NENA publishes its samples (tests/fixtures/cad/nena), the 2020 form and the 2021 one:
- The `cad_ref` is `incidentComponent[0].incidentTrackingIdentifier`, else the top-level
  `incidentTrackingIdentifier` (2020), else the top-level `$id` (a call transfer, which carries a
  `callComponent` and no `incidentComponent`).
- `category` is the CAD's own code, `incidentTypeInternalCode` (MPDS/AMPDS in the UK), else the
  registry's `incidentTypeCommonRegistryText`; a trust's policy `categories` match either. An EIDO
  without an incident type (a call transfer) is category `unknown`, which a policy may list.
- The location is the `locationComponent` (or 2020's `locationInformationComponent`) that the
  incident's, else the call's, `locationReference` points at (else the first one carrying a
  location by value); its `locationByValue` is a PIDF-LO document.
- `location_type` comes from the civic address's place type (`PLC`), `notes` from the first
  `notesComponent`'s `notesActionComments`.
- EIDO has no fields for `flags` or `ambulance_eta_s`: a CAD posting EIDO sends them with
  `PATCH /v1/incidents/{id}` (see docs/cad-formats.md).
- An EIDO restates the incident: the top-level `lastUpdateTimeStamp` (2020: `LastUpdateTimeStamp`)
  orders them, so a later one changes what differs and an older one changes nothing. An incident
  status (`incidentStatusCommonRegistryText`, NENA's registry) of `Cancelled` or `Closed` ends the
  incident; such an EIDO need not carry a location.
"""

from __future__ import annotations

import json
from typing import Any

from alerting.domain import json_text
from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings.errors import MappingError
from dispatch_adapter.mappings.message import Action, CadMessage, instant
from dispatch_adapter.mappings.pidf import parse_pidf
from dispatch_adapter.mappings.place_types import location_type
from dispatch_adapter.mappings.report import ADDRESS_MAX, NOTES_MAX, build_report, clip

MEDIA_TYPE = "application/eido+json"
UNKNOWN_CATEGORY = "unknown"
LOCATION_KEYS = ("locationComponent", "locationInformationComponent")
TIMESTAMP_KEYS = ("lastUpdateTimeStamp", "LastUpdateTimeStamp")  # 2021 and later, and the 2020 form
ENDING_STATUSES = {"cancelled": Action.CANCEL, "closed": Action.CLOSE}  # NENA's Incident Status registry
RESTATED = ("lat", "lon", "category", "address", "notes")  # what a later EIDO may change


def read_eido(body: bytes) -> CadMessage:
    """The message an EIDO carries: the incident restated, or ended by its status."""
    doc = _load(body)
    incident, inc_path = _incident(doc)
    cad_ref, cad_ref_path = _identity(doc, incident, inc_path)
    key = next((k for k in TIMESTAMP_KEYS if k in doc), None)
    revision_at = instant(doc[key], key) if key is not None else None
    ending = _ending(incident)
    if ending is not None:
        action, status = ending
        reason = f"cancelled by CAD (EIDO incident status {status})" if action == Action.CANCEL else None
        return CadMessage(action, (cad_ref,), cad_ref_path, revision_at=revision_at, reason=reason)
    report = _report(doc, incident, inc_path, cad_ref, cad_ref_path)
    changes = {k: getattr(report, k) for k in RESTATED if getattr(report, k) is not None}
    return CadMessage(Action.RESTATE, (cad_ref,), cad_ref_path, report=report, changes=changes, revision_at=revision_at)


def map_eido(body: bytes) -> IncidentReport:
    """The incident an EIDO states; one whose status ends the incident states none."""
    message = read_eido(body)
    if message.report is None:
        raise MappingError(message.ref_field, f"the EIDO's incident status ends the incident ({message.action})")
    return message.report


def _ending(incident: dict[str, Any]) -> tuple[Action, str] | None:
    statuses = incident.get("incidentStatusCommonRegistryText")
    for status in statuses if isinstance(statuses, list) else [statuses]:
        if isinstance(status, str) and status.strip().lower() in ENDING_STATUSES:
            return ENDING_STATUSES[status.strip().lower()], status.strip()
    return None


def _report(
    doc: dict[str, Any], incident: dict[str, Any], inc_path: str, cad_ref: str, cad_ref_path: str
) -> IncidentReport:
    category, category_path = _category(incident, inc_path)
    referrer, ref_path = incident, inc_path
    if not _ref_ids(incident.get("locationReference")) and isinstance(doc.get("callComponent"), list):
        call = doc["callComponent"][0] if doc["callComponent"] else None
        if isinstance(call, dict):
            referrer, ref_path = call, "callComponent[0]"
    location, loc_path = _location_component(doc, referrer, ref_path)
    by_value = location.get("locationByValue")
    if by_value is not None and not isinstance(by_value, str):
        raise MappingError(f"{loc_path}.locationByValue", "must be a string holding a PIDF-LO document")
    if not by_value or not by_value.strip():
        hint = " (locations by reference are not fetched)" if location.get("locationByReferenceUrl") else ""
        raise MappingError(f"{loc_path}.locationByValue", f"missing; send the PIDF-LO location by value{hint}")
    where = parse_pidf(by_value, f"{loc_path}.locationByValue")
    fields = {
        "cad_ref": cad_ref,
        "category": category,
        "lat": where.lat,
        "lon": where.lon,
        "location_type": location_type(where.place_type),
        "address": clip(where.address, ADDRESS_MAX, one_line=True),
        "notes": clip(_notes(doc), NOTES_MAX),
    }
    origin = {
        "cad_ref": cad_ref_path,
        "category": category_path,
        "lat": f"{loc_path}.locationByValue gml:pos",
        "lon": f"{loc_path}.locationByValue gml:pos",
    }
    return build_report(fields, origin)


def _load(body: bytes) -> dict[str, Any]:
    def refuse_constant(name: str) -> Any:
        raise MappingError("body", f"{name} is not a JSON number")

    try:
        doc = json_text.loads(body, parse_constant=refuse_constant)
    except UnicodeDecodeError as exc:
        raise MappingError("body", "not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise MappingError("body", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(doc, dict):
        raise MappingError("body", "an EIDO is a JSON object")
    return doc


def _incident(doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The first incident component, or an empty one when the EIDO has none (a call transfer)."""
    key = "incidentComponent"
    value = doc.get(key)
    if isinstance(value, dict):  # a single component sent without its array
        return value, key
    if value is None or value == []:
        return {}, f"{key}[0]"
    if not isinstance(value, list):
        raise MappingError(key, "must be an array of incident components")
    if not isinstance(value[0], dict):
        raise MappingError(f"{key}[0]", "must be an object")
    return value[0], f"{key}[0]"


def _identity(doc: dict[str, Any], incident: dict[str, Any], inc_path: str) -> tuple[str, str]:
    for obj, key, path in (
        (incident, "incidentTrackingIdentifier", f"{inc_path}.incidentTrackingIdentifier"),
        (doc, "incidentTrackingIdentifier", "incidentTrackingIdentifier"),
        (doc, "$id", "$id"),
    ):
        if key in obj:
            value = obj[key]
            if not isinstance(value, str):
                raise MappingError(path, "must be a string")
            return value, path
    raise MappingError(
        f"{inc_path}.incidentTrackingIdentifier", "missing; give it, or the incident id as the EIDO's $id"
    )


def _category(incident: dict[str, Any], path: str) -> tuple[str, str]:
    internal = incident.get("incidentTypeInternalCode")
    if isinstance(internal, str) and internal.strip():
        return internal, f"{path}.incidentTypeInternalCode"
    common = incident.get("incidentTypeCommonRegistryText")
    if isinstance(common, list):  # some senders wrap the one registry value in an array
        common = common[0] if common else None
    if isinstance(common, str) and common.strip():
        return common, f"{path}.incidentTypeCommonRegistryText"
    return UNKNOWN_CATEGORY, f"{path}.incidentTypeCommonRegistryText"


def _ref_ids(reference: Any) -> list[str]:
    refs = reference if isinstance(reference, list) else [reference]
    return [r["$ref"] for r in refs if isinstance(r, dict) and isinstance(r.get("$ref"), str)]


def _location_component(doc: dict[str, Any], incident: dict[str, Any], inc_path: str) -> tuple[dict[str, Any], str]:
    key = next((k for k in LOCATION_KEYS if k in doc), LOCATION_KEYS[0])
    components = doc.get(key)
    if not isinstance(components, list) or not components:
        raise MappingError(key, "missing; the incident needs a location")
    indexed = [(i, c) for i, c in enumerate(components) if isinstance(c, dict)]
    wanted = _ref_ids(incident.get("locationReference"))
    if wanted:
        referenced = [(i, c) for i, c in indexed if c.get("$id") in wanted or c.get("componentIdentifier") in wanted]
        if not referenced:
            raise MappingError(f"{inc_path}.locationReference", f"no {key} has $id {wanted[0]!r}")
        i, c = next(((i, c) for i, c in referenced if c.get("locationByValue")), referenced[0])
        return c, f"{key}[{i}]"
    for i, c in indexed:
        if c.get("locationByValue"):
            return c, f"{key}[{i}]"
    raise MappingError(
        f"{key}[0].locationByValue",
        "missing; send the PIDF-LO location by value (locations by reference are not fetched)",
    )


def _notes(doc: dict[str, Any]) -> str | None:
    notes = doc.get("notesComponent")
    if isinstance(notes, list) and notes and isinstance(notes[0], dict):
        text = notes[0].get("notesActionComments")
        if isinstance(text, str):
            return text
    return None
