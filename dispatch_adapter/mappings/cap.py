"""OASIS CAP 1.2 (`application/cap+xml`): an `Alert` reports an incident, an `Update` changes it,
a `Cancel` cancels it.

- `identifier` is the `cad_ref`; only `status` Actual reaches responders (exercises and tests never
  do). `sent` is the message's time: an Update no later than the last message applied changes
  nothing, so a retry or a late delivery cannot undo a newer change.
- `Update` and `Cancel` name the incident by `references` ("sender,identifier,sent" entries,
  separated by spaces): the entries from the message's own `sender` are looked up as the `cad_ref`
  of an incident, or as the identifier of an earlier Update or Cancel applied to one.
  An Update carries only what changes: its `info` (when present) is read as for an Alert, and each
  field it gives is applied as `PATCH /v1/incidents/{id}` would (`areaDesc` moves with the point).
  A Cancel's reason is its `note`, else its `info/headline`.
- `category` is the first `info/eventCode` value (CAP 1.2's code for the event, e.g. an MPDS
  determinant), else `info/event`. `alert/code` names message profiles and is not used.
- The point is the centre of the first `info/area/circle` ("lat,lon radius_km"; a point is a
  circle of radius 0). `areaDesc` becomes the address, `description` (else `headline`) the notes.
  An area without a circle may give the point as a `geocode` whose `valueName` is `EPSG:27700`
  (or `BNG`) and whose `value` is "easting northing" or a grid reference such as "SE 22242 33818".
  An area with a `polygon` and no circle gives the polygon's centroid, marked as such: whether a
  centroid will do is the trust's choice (policy `cap_polygon_centroid`), since an area is not a point.
- `location_type` comes from an `info/parameter` named `location_type`: public, private, unknown,
  or an RFC 4589 place type such as `residence` or `street`.
- `flags` come from an `info/parameter` named `flags` (words separated by commas or spaces, `-` read
  as `_`: `unsafe-scene, child`), `ambulance_eta_s` from one named `ambulance_eta_s` (seconds). CAP
  has no fields of its own for either; parameters are its extension point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from shapely.geometry import Polygon

from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings.errors import MappingError
from dispatch_adapter.mappings.message import Action, CadMessage, instant
from dispatch_adapter.mappings.place_types import location_type
from dispatch_adapter.mappings.report import ADDRESS_MAX, NOTES_MAX, build_changes, build_report, clip
from dispatch_adapter.mappings.xml import parse_xml, text_of
from geo import grid

MEDIA_TYPE = "application/cap+xml"
CAP = "urn:oasis:names:tc:emergency:cap:1.2"
CIRCLE = "info.area.circle"
GRID_GEOCODE = "info.area.geocode.value"
REASON_MAX = 500
_ORIGIN = {
    "category": "info.eventCode.value",
    "lat": CIRCLE,
    "lon": CIRCLE,
    "flags": "info.parameter[flags]",
    "ambulance_eta_s": "info.parameter[ambulance_eta_s]",
}


def _q(tag: str) -> str:
    return f"{{{CAP}}}{tag}"


def read_cap(body: bytes) -> CadMessage:
    """The message a CAP 1.2 alert carries; refusals name the alert's own field."""
    alert = parse_xml(body, "body")
    if alert.tag != _q("alert"):
        raise MappingError("alert", f"the root element must be alert in namespace {CAP} (CAP 1.2)")
    identifier = _required(alert, "identifier", "identifier")
    status = _required(alert, "status", "status")
    if status != "Actual":
        raise MappingError("status", f"{status!r}: only Actual alerts reach responders")
    msg_type = _required(alert, "msgType", "msgType")
    sent_text = text_of(alert.find(_q("sent")))
    sent = instant(sent_text, "sent") if sent_text is not None else None
    if msg_type == "Alert":
        report, centroid_of = _alert_report(alert, identifier)
        return CadMessage(
            Action.REPORT, (identifier,), "identifier", report=report, revision_at=sent, centroid_of=centroid_of
        )
    if msg_type not in ("Update", "Cancel"):
        raise MappingError(
            "msgType",
            f"{msg_type!r}: an Alert reports an incident, an Update changes and a Cancel cancels the one its "
            "references name; nothing else is read",
        )
    sender = _required(alert, "sender", "sender")
    refs = _references(text_of(alert.find(_q("references"))), sender)
    info = alert.find(_q("info"))
    if msg_type == "Cancel":
        note = text_of(alert.find(_q("note"))) or (text_of(info.find(_q("headline"))) if info is not None else None)
        reason = clip(note, REASON_MAX, one_line=True) or "cancelled by CAD"
        return CadMessage(
            Action.CANCEL, refs, "references", revision_at=sent, reason=reason, sender=sender, message_id=identifier
        )
    changes, centroid_of = _changes(info) if info is not None else ({}, None)
    return CadMessage(
        Action.UPDATE,
        refs,
        "references",
        changes=changes,
        revision_at=sent,
        sender=sender,
        centroid_of=centroid_of,
        message_id=identifier,
    )


def map_cap(body: bytes, *, polygon_centroid: bool = False) -> IncidentReport:
    """The incident a CAP `Alert` reports; with `polygon_centroid` an area given only as a polygon
    is placed at its centroid (the trust's choice), else it is refused."""
    message = read_cap(body)
    if message.report is None:
        raise MappingError("msgType", f"a {message.action} message reports no incident; post an Alert")
    if message.centroid_of is not None and not polygon_centroid:
        raise centroid_refused(message.centroid_of)
    return message.report


def centroid_refused(field: str) -> MappingError:
    return MappingError(
        field,
        "missing; send the point as a circle 'lat,lon 0' (a polygon is not a point: a trust may choose to place "
        "polygons at their centroid, policy cap_polygon_centroid)",
    )


def _alert_report(alert: Element, identifier: str) -> tuple[IncidentReport, str | None]:
    info = alert.find(_q("info"))
    if info is None:
        raise MappingError("info", "missing")
    category, category_path = _category(info)
    where = _location(info)
    if where is None:
        raise MappingError("info.area", "missing; the incident needs a location")
    fields = {
        "cad_ref": identifier,
        "category": category,
        "lat": where.lat,
        "lon": where.lon,
        "location_type": location_type(_parameter(info, "location_type")),
        "address": where.address,
        "notes": _notes(info),
        "flags": _flags(_parameter(info, "flags")),
        "ambulance_eta_s": _seconds(_parameter(info, "ambulance_eta_s")),
    }
    origin = {**_ORIGIN, "cad_ref": "identifier", "category": category_path}
    return build_report(fields, origin), where.centroid_of


def _changes(info: Element) -> tuple[dict[str, Any], str | None]:
    """An Update's info: each field it gives, to apply as PATCH would; what it leaves out stays."""
    category, category_path = _category(info)
    where = _location(info)
    fields: dict[str, Any] = {
        "category": category,
        "notes": _notes(info),
        "flags": _flags(_parameter(info, "flags")),
        "ambulance_eta_s": _seconds(_parameter(info, "ambulance_eta_s")),
    }
    if where is not None:
        fields |= {"lat": where.lat, "lon": where.lon, "address": where.address}
    return build_changes(fields, {**_ORIGIN, "category": category_path}), where.centroid_of if where else None


def _references(text: str | None, sender: str) -> tuple[str, ...]:
    """The identifiers of the sender's own earlier messages, in the order given (CAP 1.2 3.2.1)."""
    if text is None:
        raise MappingError("references", "missing; name the Alert this message changes as 'sender,identifier,sent'")
    ours: list[str] = []
    for entry in text.split():
        parts = entry.split(",")
        if len(parts) != 3 or not all(parts):
            raise MappingError("references", f"expected 'sender,identifier,sent' entries, got {entry[:80]!r}")
        if parts[0] == sender and parts[1] not in ours:
            ours.append(parts[1])
    if not ours:
        raise MappingError("references", f"names no earlier message of this sender ({sender})")
    return tuple(ours)


def _notes(info: Element) -> str | None:
    return clip(text_of(info.find(_q("description"))) or text_of(info.find(_q("headline"))), NOTES_MAX)


@dataclass(frozen=True, slots=True)
class _Where:
    lat: float
    lon: float
    address: str | None
    centroid_of: str | None  # the field that should have held the point, when this is a centroid


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


def _location(info: Element) -> _Where | None:
    """The first area's circle centre, else the first polygon's centroid; None without any area."""
    areas = info.findall(_q("area"))
    if not areas:
        return None
    for area in areas:
        circle = text_of(area.find(_q("circle")))
        if circle is not None:
            return _Where(*_centre(circle), _address(area), None)
    for area in areas:
        if (on_grid := _grid_geocode(area)) is not None:
            return _Where(*on_grid, _address(area), None)
    for area in areas:
        polygon = text_of(area.find(_q("polygon")))
        if polygon is not None:
            return _Where(*_centroid(polygon), _address(area), CIRCLE)
    raise MappingError(CIRCLE, "missing; send the point as a circle 'lat,lon 0'")


def _grid_geocode(area: Element) -> tuple[float, float] | None:
    """A `geocode` whose valueName is EPSG:27700 (or BNG): the point as a National Grid reference."""
    for geocode in area.findall(_q("geocode")):
        if grid.is_british_grid(text_of(geocode.find(_q("valueName")))):
            try:
                return grid.to_wgs84(*grid.read_pair(text_of(geocode.find(_q("value"))) or ""))
            except grid.GridError as exc:
                raise MappingError(GRID_GEOCODE, str(exc)) from exc
    return None


def _address(area: Element) -> str | None:
    return clip(text_of(area.find(_q("areaDesc"))), ADDRESS_MAX, one_line=True)


def _centroid(polygon: str) -> tuple[float, float]:
    """CAP 1.2 3.2.4: "lat,lon" pairs separated by spaces, at least four, the first equal to the last."""
    field = "info.area.polygon"
    points: list[tuple[float, float]] = []
    for pair in polygon.split():
        lat_text, comma, lon_text = pair.partition(",")
        try:
            if not comma:
                raise ValueError(pair)
            lat, lon = float(lat_text), float(lon_text)
        except ValueError as exc:
            raise MappingError(field, f"expected 'lat,lon' pairs separated by spaces, got {pair[:40]!r}") from exc
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise MappingError(field, f"{pair[:40]!r} is not a latitude and longitude in range")
        points.append((lon, lat))
    if len(points) < 4 or points[0] != points[-1]:
        raise MappingError(field, "needs at least four points, the first and the last the same")
    shape = Polygon(points)
    if shape.area == 0:
        raise MappingError(field, "encloses no area")
    centre = shape.centroid
    return centre.y, centre.x


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
        raise MappingError(CIRCLE, f"expected 'lat,lon radius_km', got {circle[:60]!r}") from exc
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
