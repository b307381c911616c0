"""OASIS CAP 1.2 (`application/cap+xml`) onto an incident report.

- `identifier` is the `cad_ref`; only `status` Actual and `msgType` Alert report an incident
  (exercises and tests never reach responders; updates and cancels use the incident endpoints).
- `category` is the first `info/eventCode` value (CAP 1.2's code for the event, e.g. an MPDS
  determinant), else `info/event`. `alert/code` names message profiles and is not used.
- The point is the centre of the first `info/area/circle` ("lat,lon radius_km"; a point is a
  circle of radius 0). `areaDesc` becomes the address, `description` (else `headline`) the notes.
- `location_type` comes from an `info/parameter` named `location_type`: public, private, unknown,
  or an RFC 4589 place type such as `residence` or `street`.
- `flags` come from an `info/parameter` named `flags` (words separated by commas or spaces, `-` read
  as `_`: `unsafe-scene, child`), `ambulance_eta_s` from one named `ambulance_eta_s` (seconds). CAP
  has no fields of its own for either; parameters are its extension point.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings.errors import MappingError
from dispatch_adapter.mappings.place_types import location_type
from dispatch_adapter.mappings.report import ADDRESS_MAX, NOTES_MAX, build_report, clip
from dispatch_adapter.mappings.xml import parse_xml, text_of

MEDIA_TYPE = "application/cap+xml"
CAP = "urn:oasis:names:tc:emergency:cap:1.2"


def _q(tag: str) -> str:
    return f"{{{CAP}}}{tag}"


def map_cap(body: bytes) -> IncidentReport:
    alert = parse_xml(body, "body")
    if alert.tag != _q("alert"):
        raise MappingError("alert", f"the root element must be alert in namespace {CAP} (CAP 1.2)")
    identifier = _required(alert, "identifier", "identifier")
    status = _required(alert, "status", "status")
    if status != "Actual":
        raise MappingError("status", f"{status!r}: only Actual alerts reach responders")
    msg_type = _required(alert, "msgType", "msgType")
    if msg_type != "Alert":
        raise MappingError(
            "msgType", f"{msg_type!r}: only Alert reports an incident; change or end one with PATCH, cancel or close"
        )
    info = alert.find(_q("info"))
    if info is None:
        raise MappingError("info", "missing")
    category, category_path = _category(info)
    area, circle = _circle(info)
    lat, lon = _centre(circle)
    fields = {
        "cad_ref": identifier,
        "category": category,
        "lat": lat,
        "lon": lon,
        "location_type": location_type(_parameter(info, "location_type")),
        "address": clip(text_of(area.find(_q("areaDesc"))), ADDRESS_MAX, one_line=True),
        "notes": clip(text_of(info.find(_q("description"))) or text_of(info.find(_q("headline"))), NOTES_MAX),
        "flags": _flags(_parameter(info, "flags")),
        "ambulance_eta_s": _seconds(_parameter(info, "ambulance_eta_s")),
    }
    origin = {
        "cad_ref": "identifier",
        "category": category_path,
        "lat": "info.area.circle",
        "lon": "info.area.circle",
        "flags": "info.parameter[flags]",
        "ambulance_eta_s": "info.parameter[ambulance_eta_s]",
    }
    return build_report(fields, origin)


def _required(parent: Element, tag: str, path: str) -> str:
    value = text_of(parent.find(_q(tag)))
    if value is None:
        raise MappingError(path, "missing")
    return value


def _category(info: Element) -> tuple[str, str]:
    for code in info.findall(_q("eventCode")):
        value = text_of(code.find(_q("value")))
        if value is not None:
            return value, "info.eventCode.value"
    return _required(info, "event", "info.event"), "info.event"


def _circle(info: Element) -> tuple[Element, str]:
    areas = info.findall(_q("area"))
    if not areas:
        raise MappingError("info.area", "missing; the incident needs a location")
    for area in areas:
        circle = text_of(area.find(_q("circle")))
        if circle is not None:
            return area, circle
    polygon = any(a.find(_q("polygon")) is not None for a in areas)
    hint = "; a polygon is not a point" if polygon else ""
    raise MappingError("info.area.circle", f"missing; send the point as a circle 'lat,lon 0'{hint}")


def _centre(circle: str) -> tuple[float, float]:
    centre, _, radius = circle.partition(" ")
    lat_text, comma, lon_text = centre.partition(",")
    try:
        if not comma:
            raise ValueError(circle)
        lat, lon = float(lat_text), float(lon_text)
        if radius.strip():
            float(radius)
    except ValueError as exc:
        raise MappingError("info.area.circle", f"expected 'lat,lon radius_km', got {circle[:60]!r}") from exc
    return lat, lon


def _flags(text: str | None) -> list[str] | None:
    """Unknown words are refused (by the native validation): a misspelt `unsafe scene` must not alert."""
    if not text:
        return None
    return [w.strip().lower().replace("-", "_") for w in text.replace(",", " ").split()]


def _seconds(text: str | None) -> float | str | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text  # refused by the native validation, naming the parameter


def _parameter(info: Element, name: str) -> str | None:
    for parameter in info.findall(_q("parameter")):
        if text_of(parameter.find(_q("valueName"))) == name:
            return text_of(parameter.find(_q("value")))
    return None
