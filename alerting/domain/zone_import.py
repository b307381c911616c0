"""Zone files (KML placemarks or GeoJSON features) into the policy's `zones`, and back out.

Pure. Each placemark or feature becomes one zone: its name, its area, and its rules, which come
from the file (`phases` as a JSON list, optional `accept_limit`) or, when the file has none, from
the zone of the same name already in the policy, so an admin can redraw boundaries in a GIS and
upload them again without retyping the rules. Every problem is reported against the
placemark/feature it belongs to; the caller imports nothing unless there are none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerting.domain import json_text
from geo.kml import Placemark


@dataclass(frozen=True, slots=True)
class ZoneFeature:
    """One zone as read from a file, before the policy's rules are applied."""

    loc: str  # where it is in the file: "placemark[3]" or "features[3]"
    name: str | None
    area: dict[str, Any] | None
    properties: Mapping[str, Any]
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ImportProblem:
    loc: str
    name: str | None
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": self.loc, "name": self.name, "msg": self.msg}


class ZoneImportError(ValueError):
    def __init__(self, problems: Sequence[ImportProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.loc}: {p.msg}" for p in self.problems))


def _name(value: Any) -> str | None:
    """A name as text: blank is none, a number (a region code) is its digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    return value.strip() or None if isinstance(value, str) else None


def from_placemarks(placemarks: Sequence[Placemark], *, name_property: str | None = None) -> list[ZoneFeature]:
    """Each placemark named by its `<name>`, or by the ExtendedData field `name_property` when given
    (a GIS export names features in an attribute such as NHSER22NM and leaves `<name>` empty)."""
    out = []
    for p in placemarks:
        name = p.name
        if name_property is not None:
            name = _name(p.data.get(name_property)) or (p.name if name_property == "name" else None)
        out.append(ZoneFeature(f"placemark[{p.index}]", name, p.area, p.data, p.problem))
    return out


def from_geojson(doc: Any, *, name_property: str = "name") -> list[ZoneFeature]:
    """A FeatureCollection (or one Feature) of Polygons/MultiPolygons, each named by the property
    `name_property` (`name` unless the file names its features otherwise), rules in properties."""
    if isinstance(doc, Mapping) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if (
        not isinstance(doc, Mapping)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        expected = "expected a GeoJSON FeatureCollection of Polygon or MultiPolygon features"
        raise ZoneImportError([ImportProblem("body", None, expected)])
    if not doc["features"]:
        raise ZoneImportError([ImportProblem("features", None, "the FeatureCollection has no features")])
    out: list[ZoneFeature] = []
    for i, f in enumerate(doc["features"]):
        loc = f"features[{i}]"
        if not isinstance(f, Mapping) or f.get("type") != "Feature":
            out.append(ZoneFeature(loc, None, None, {}, "not a GeoJSON Feature"))
            continue
        props = f.get("properties") or {}
        if not isinstance(props, Mapping):
            out.append(ZoneFeature(loc, None, None, {}, "properties must be an object"))
            continue
        name = _name(props.get(name_property))
        geometry = f.get("geometry")
        problem = None
        if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            kind = geometry.get("type") if isinstance(geometry, Mapping) else "no geometry"
            problem, geometry = f"a zone must be a Polygon or MultiPolygon; this feature has {kind}", None
        out.append(ZoneFeature(loc, name, dict(geometry) if geometry else None, props, problem))
    return out


def _rules(
    feature: ZoneFeature, existing: Mapping[str, Mapping[str, Any]], default_phases: Sequence[Any] | None
) -> dict[str, Any]:
    """The zone's phases and accept_limit, from the file, else from the zone of that name, else
    (when the caller asks for it) the given default phases."""
    props, rules = feature.properties, {}
    phases = props.get("phases")
    if isinstance(phases, str):
        try:
            phases = json_text.loads(phases)
        except json.JSONDecodeError as exc:
            raise ValueError(f"'phases' is not valid JSON: {exc.msg} at character {exc.pos}") from None
    if phases is None:
        kept = existing.get(feature.name or "")
        if kept is not None:
            rules["phases"] = kept["phases"]
            if kept.get("accept_limit") is not None:
                rules["accept_limit"] = kept["accept_limit"]
        elif default_phases is not None:
            rules["phases"] = list(default_phases)
        else:
            raise ValueError(
                "has no 'phases' (a JSON list in its data/properties) and no zone of this name exists "
                "to keep the rules of (default_phases=trust starts such zones with the trust-wide phases)"
            )
    else:
        rules["phases"] = phases
    limit = props.get("accept_limit")
    if isinstance(limit, str) and limit.strip():
        try:
            limit = int(limit)
        except ValueError:
            raise ValueError(f"'accept_limit' {limit!r} is not a whole number") from None
    if limit not in (None, ""):
        rules["accept_limit"] = limit
    return rules


def to_zone_docs(
    features: Sequence[ZoneFeature],
    existing: Sequence[Mapping[str, Any]],
    *,
    default_phases: Sequence[Any] | None = None,
    name_property: str | None = None,
) -> list[dict[str, Any]]:
    """The policy `zones` list the file describes, in file order; ZoneImportError lists every problem."""
    by_name = {z["name"]: z for z in existing}
    problems: list[ImportProblem] = []
    zones: list[dict[str, Any]] = []
    for f in features:
        if f.problem:
            problems.append(ImportProblem(f.loc, f.name, f.problem))
            continue
        if not f.name:
            named_by = f"no {name_property!r} property to name it by" if name_property else "no name"
            problems.append(ImportProblem(f.loc, None, f"has {named_by}; every zone needs one"))
            continue
        try:
            zones.append({"name": f.name, "area": f.area, **_rules(f, by_name, default_phases)})
        except ValueError as exc:
            problems.append(ImportProblem(f.loc, f.name, str(exc)))
    if problems:
        raise ZoneImportError(problems)
    return zones


def to_feature_collection(zones: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The policy's zones as GeoJSON, in policy order (the first holding an incident decides)."""
    features = []
    for order, z in enumerate(zones):
        props: dict[str, Any] = {"name": z["name"], "order": order, "phases": z["phases"]}
        if z.get("accept_limit") is not None:
            props["accept_limit"] = z["accept_limit"]
        features.append({"type": "Feature", "geometry": z["area"], "properties": props})
    return {"type": "FeatureCollection", "features": features}
