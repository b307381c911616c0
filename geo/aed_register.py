"""Public defibrillator registers as their publishers write them, into AEDs.

Three shapes occur: GeoJSON with whatever properties the publisher chose (a council's `Location`,
`Address1`, `Postcode`, `Notes`, no id; an overpass-turbo export's OpenStreetMap tags and `@id`),
CSV with `Latitude`/`Longitude` or `Easting`/`Northing` columns, and OpenStreetMap Overpass API
JSON (`elements` of nodes, or ways and relations with a `center`). `Fields` says which property is
the id, name, access and opening hours; by default the common names are read. A feature without
an id gets one from its position, so the same register uploaded again keeps its ids.

All or nothing, as before: every bad feature is reported by its index (and the file's line for
CSV) and a file with any bad feature imports nothing. What a publisher gets slightly wrong but an
alert can live with (a name longer than we keep, opening hours we cannot read) is a warning.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from geo import grid
from geo.aed_hours import MAX_HOURS, hours_problem
from geo.aeds import MAX_ID, MAX_TEXT, Aed, AedImportError
from geo.index_lua import MAX_GEO_LAT

Format = Literal["geojson", "csv", "json"]  # "json": GeoJSON or an Overpass answer, told apart by shape

NAME_DEFAULTS = ("name", "Location", "defibrillator:location")
ID_DEFAULTS = ("id", "@id")
LAT_COLUMNS = ("latitude", "lat")
LON_COLUMNS = ("longitude", "lon", "lng", "long")
EASTING_COLUMNS = ("easting", "eastings")
NORTHING_COLUMNS = ("northing", "northings")


@dataclass(frozen=True, slots=True)
class Fields:
    """Which property holds each attribute; None reads the common names."""

    id: str | None = None
    name: str | None = None
    access: str | None = None
    hours: str | None = None


@dataclass
class Register:
    aeds: list[Aed] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One feature, row or element before its attributes are read: where it is and its properties."""

    index: int
    props: Mapping[str, Any]
    point: tuple[float, float] | None  # (lat, lon)
    problem: str | None = None
    native_id: str | None = None  # the id the format itself carries (GeoJSON feature id, OSM type/id)
    where: str = ""  # " (line 7)" for CSV


def _lookup(props: Mapping[str, Any], names: Iterable[str]) -> Any:
    """The first non-blank value among `names`, matched exactly, then ignoring case."""
    lowered = {k.lower(): v for k, v in props.items() if isinstance(k, str)}
    for name in names:
        for value in (props.get(name), lowered.get(name.lower())):
            if value is not None and (not isinstance(value, str) or value.strip()):
                return value
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = format(value, "g") if isinstance(value, float) else str(value)
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _wgs84(lat: float, lon: float) -> str | None:
    if not -180 <= lon <= 180:
        return f"longitude {lon} is outside -180..180"
    if not -MAX_GEO_LAT <= lat <= MAX_GEO_LAT:
        return f"latitude {lat} is outside -{MAX_GEO_LAT}..{MAX_GEO_LAT}"
    return None


def _british_grid(crs: Any) -> bool:
    """A GeoJSON `crs` member naming EPSG:27700 (QGIS and ogr2ogr still write it for BNG layers)."""
    name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else None
    return isinstance(name, str) and name.replace("::", ":").endswith(":27700")


def _geojson_entries(doc: Mapping[str, Any]) -> Iterator[_Entry]:
    on_grid = _british_grid(doc.get("crs"))
    for i, f in enumerate(doc["features"]):
        if not isinstance(f, Mapping) or f.get("type") != "Feature":
            yield _Entry(i, {}, None, "not a GeoJSON Feature")
            continue
        props = f.get("properties") or {}
        if not isinstance(props, Mapping):
            yield _Entry(i, {}, None, "properties must be an object")
            continue
        native = _text(f.get("id"))
        geom = f.get("geometry")
        if not isinstance(geom, Mapping) or geom.get("type") != "Point":
            yield _Entry(i, props, None, "geometry must be a GeoJSON Point", native)
            continue
        coords = geom.get("coordinates")
        if (
            not isinstance(coords, list)
            or len(coords) not in (2, 3)
            or not all(isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c) for c in coords)
        ):
            yield _Entry(i, props, None, "coordinates must be [lon, lat] (or [lon, lat, alt]) finite numbers", native)
            continue
        if on_grid:
            try:
                lat, lon = grid.to_wgs84(float(coords[0]), float(coords[1]))
            except grid.GridError as exc:
                yield _Entry(i, props, None, f"coordinates {exc}", native)
                continue
        else:
            lon, lat = float(coords[0]), float(coords[1])
        yield _Entry(i, props, (lat, lon), _wgs84(lat, lon), native)


def _overpass_entries(doc: Mapping[str, Any], register: Register) -> Iterator[_Entry]:
    untagged = 0
    for i, e in enumerate(doc["elements"]):
        if not isinstance(e, Mapping):
            yield _Entry(i, {}, None, "not an OpenStreetMap element")
            continue
        tags = e.get("tags")
        if not tags:
            untagged += 1  # the nodes of a way, printed by `>;`: not defibrillators themselves
            continue
        if not isinstance(tags, Mapping):
            yield _Entry(i, {}, None, "tags must be an object")
            continue
        native = f"{e.get('type')}/{e.get('id')}" if e.get("type") and e.get("id") is not None else None
        at = e if "lat" in e else e.get("center")
        lat = _number(at.get("lat")) if isinstance(at, Mapping) else None
        lon = _number(at.get("lon")) if isinstance(at, Mapping) else None
        if lat is None or lon is None:
            yield _Entry(
                i, tags, None, f"{e.get('type', 'element')} has no position: query it with `out center;`", native
            )
            continue
        yield _Entry(i, tags, (lat, lon), _wgs84(lat, lon), native)
    if untagged:
        register.warnings.append(
            {"index": -1, "id": None, "message": f"{untagged} element(s) without tags were skipped (the nodes of ways)"}
        )


def _decode(content: bytes) -> str:
    """UTF-8 (with or without a byte-order mark, as Excel writes it), else Windows-1252."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    for h in header:
        if h.strip().lower() in names:
            return h
    return None


def _csv_entries(content: bytes) -> Iterator[_Entry]:
    text = _decode(content)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [h for h in (reader.fieldnames or []) if h is not None]
    lat_col, lon_col = _column(header, LAT_COLUMNS), _column(header, LON_COLUMNS)
    e_col, n_col = _column(header, EASTING_COLUMNS), _column(header, NORTHING_COLUMNS)
    if not (lat_col and lon_col) and not (e_col and n_col):
        raise AedImportError(
            [
                {
                    "index": -1,
                    "id": None,
                    "message": "the CSV needs Latitude and Longitude columns, or Easting and Northing "
                    f"(British National Grid); its columns are {', '.join(header) or 'none'}",
                }
            ]
        )
    for i, row in enumerate(reader):
        where = f" (line {reader.line_num})"
        props = {k: v for k, v in row.items() if k is not None}
        if lat_col and lon_col and (props.get(lat_col) or "").strip():
            lat, lon = _number(props.get(lat_col)), _number(props.get(lon_col))
            if lat is None or lon is None:
                yield _Entry(i, props, None, f"{lat_col} and {lon_col} must be numbers", where=where)
                continue
            yield _Entry(i, props, (lat, lon), _wgs84(lat, lon), where=where)
        elif e_col and n_col:
            east, north = _number(props.get(e_col)), _number(props.get(n_col))
            if east is None or north is None:
                yield _Entry(i, props, None, f"{e_col} and {n_col} must be numbers", where=where)
                continue
            try:
                yield _Entry(i, props, grid.to_wgs84(east, north), where=where)
            except grid.GridError as exc:
                yield _Entry(i, props, None, f"{e_col}/{n_col} {exc}", where=where)
        else:
            yield _Entry(i, props, None, f"{lat_col} and {lon_col} must be numbers", where=where)


def _entries(content: bytes, fmt: Format, register: Register) -> Iterator[_Entry]:
    if fmt == "csv":
        return _csv_entries(content)
    try:
        doc = json.loads(_decode(content))
    except json.JSONDecodeError as exc:
        raise AedImportError([{"index": -1, "id": None, "message": f"not valid JSON: {exc}"}]) from exc
    if isinstance(doc, Mapping) and isinstance(doc.get("elements"), list):
        return _overpass_entries(doc, register)
    if isinstance(doc, Mapping) and doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        return _geojson_entries(doc)
    raise AedImportError(
        [
            {
                "index": -1,
                "id": None,
                "message": "body must be a GeoJSON FeatureCollection or an OpenStreetMap Overpass answer (elements)",
            }
        ]
    )


def _clipped(value: str | None, limit: int, what: str, entry: _Entry, aed_id: str, register: Register) -> str | None:
    if value is None or len(value) <= limit:
        return value
    register.warnings.append(
        {"index": entry.index, "id": aed_id, "message": f"the {what} was shortened to {limit} characters{entry.where}"}
    )
    return value[: limit - 1] + "…"


def read_register(content: bytes, fmt: Format, fields: Fields = Fields()) -> Register:
    """Every AED in the file, or AedImportError listing every bad feature."""
    register = Register()
    errors: list[dict[str, Any]] = []
    first_at: dict[str, int] = {}
    at_position: dict[str, int] = {}
    for entry in _entries(content, fmt, register):
        named = _text(_lookup(entry.props, (fields.id,) if fields.id else ID_DEFAULTS)) or entry.native_id
        if named is not None and len(named) > MAX_ID:
            errors.append({"index": entry.index, "id": None, "message": f"the id is longer than {MAX_ID} characters"})
            continue
        if entry.problem is not None or entry.point is None:
            errors.append({"index": entry.index, "id": named, "message": f"{entry.problem}{entry.where}"})
            continue
        lat, lon = entry.point
        if named is None:  # a stable id from the position; a second AED at the same spot is "#2"
            spot = f"at:{lat:.5f},{lon:.5f}"
            at_position[spot] = at_position.get(spot, 0) + 1
            aed_id = spot if at_position[spot] == 1 else f"{spot}#{at_position[spot]}"
        else:
            aed_id = named
            if aed_id in first_at:
                errors.append(
                    {
                        "index": entry.index,
                        "id": aed_id,
                        "message": f"duplicate id (first at feature {first_at[aed_id]}){entry.where}",
                    }
                )
                continue
        first_at[aed_id] = entry.index
        name = _text(_lookup(entry.props, (fields.name,) if fields.name else NAME_DEFAULTS))
        access = _text(_lookup(entry.props, (fields.access or "access",)))
        hours = _text(_lookup(entry.props, (fields.hours or "opening_hours",)))
        too_long = f"opening hours longer than {MAX_HOURS} characters"
        if hours is not None and (problem := hours_problem(hours) if len(hours) <= MAX_HOURS else too_long):
            register.warnings.append(
                {
                    "index": entry.index,
                    "id": aed_id,
                    "message": f"{problem}{entry.where}; the AED is offered at any time",
                }
            )
            hours = None
        register.aeds.append(
            Aed(
                aed_id,
                _clipped(name, MAX_TEXT, "name", entry, aed_id, register),
                _clipped(access, MAX_TEXT, "access", entry, aed_id, register),
                lat,
                lon,
                hours,
            )
        )
    if errors:
        raise AedImportError(errors)
    return register
