"""The base of every request document, and the field types that keep JSON's meaning.

Every string of a request is stored somewhere PostgreSQL keeps text, which cannot hold a NUL
character: a document refuses one anywhere in it (keys, lists and nested objects included), and
its JSON schema says so, as a pattern on each string that has no stricter one. Unknown fields, NaN
and infinities are refused too.

`Flag`, `Instant` and `Day` take only what JSON means by them: `true`/`false` (never 0 or 1) and
RFC 3339 text (never a number read as seconds since 1970). `Area` is a GeoJSON Polygon or
MultiPolygon; its schema says the shape, `geo.areas` checks the geometry (closed rings that do
not cross themselves), which no JSON schema can say.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

__all__ = [
    "EMAIL",
    "NUL_FREE",
    "SOME_TEXT",
    "SOME_TEXT_TRIMMED",
    "Area",
    "Day",
    "Document",
    "Flag",
    "Instant",
    "carries_nul",
]

NUL_FREE = r"^[^\x00]*$"
# Patterns are read by two regex engines, the server's (Rust, Unicode classes) and a client's
# (ECMA-262), which disagree on `\s` and `\d`: the patterns here spell their characters out.
# Whitespace as Python's str.strip() removes it, and as pydantic's `str_strip_whitespace` does.
_PY_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_TRIMMED_SPACE = r"\t\n\x0b\x0c\r\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SOME_TEXT = rf"^[^\x00]*[^\x00{_PY_SPACE}][^\x00]*$"  # something besides spaces once stripped
SOME_TEXT_TRIMMED = rf"^[^\x00]*[^\x00{_TRIMMED_SPACE}][^\x00]*$"
EMAIL = r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$"
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def carries_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(carries_nul(k) or carries_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(carries_nul(v) for v in value)
    return False


def _text(pattern: re.Pattern[str], example: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.match(value):
            raise ValueError(f"must be written like {example}")
        if not isinstance(value, str):
            raise ValueError(f"must be a string written like {example}")
        return value

    return BeforeValidator(check)


_POSITION = {
    "type": "array",
    "description": "[lon, lat] in degrees",
    "prefixItems": [
        {"type": "number", "minimum": -180, "maximum": 180},
        {"type": "number", "minimum": -90, "maximum": 90},
    ],
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 3,
}
_RING = {"type": "array", "items": _POSITION, "minItems": 4, "description": "Closed: the last position is the first"}
_POLYGON = {"type": "array", "items": _RING, "minItems": 1}
AREA_SCHEMA: dict[str, Any] = {
    "title": "Area",
    "description": "A GeoJSON Polygon or MultiPolygon in [lon, lat] degrees: rings closed, not crossing themselves",
    "oneOf": [
        {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": {"const": "Polygon"}, "coordinates": _POLYGON},
        },
        {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"const": "MultiPolygon"},
                "coordinates": {"type": "array", "items": _POLYGON, "minItems": 1},
            },
        },
    ],
}

Flag = Annotated[bool, Field(strict=True)]
Area = Annotated[dict[str, Any], WithJsonSchema(AREA_SCHEMA)]
Instant = Annotated[AwareDatetime, _text(_INSTANT, "2026-12-02T13:00:00Z (RFC 3339)")]
Day = Annotated[date, _text(_DAY, "2026-12-02")]


def _say_nul_free(schema: dict[str, Any]) -> None:
    """Adds the pattern to every string of this model's own schema (nested models do their own)."""
    if "$ref" in schema:
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "const"} & set(schema):
        schema["pattern"] = NUL_FREE
    if schema.get("type") == "object" and "properties" not in schema:
        schema.setdefault("propertyNames", {"pattern": NUL_FREE})
    for key in ("properties", "$defs"):
        for sub in schema.get(key, {}).values():
            _say_nul_free(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _say_nul_free(schema[key])
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            _say_nul_free(sub)


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if carries_nul(value):
            raise ValueError("must not contain a NUL character")
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        _say_nul_free(handler.resolve_ref_schema(schema))
        return schema
