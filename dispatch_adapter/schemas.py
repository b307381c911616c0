"""The native JSON incident payload of the CAD API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from alerting.domain.documents import SOME_TEXT_TRIMMED, Document
from alerting.domain.report import IncidentReport
from alerting.domain.vocabulary import IncidentFlag, Outcome
from geo import grid

_FLAGS = Field(
    default=None,
    max_length=len(IncidentFlag),
    description="What the CAD knows about the scene; a flag the policy lists in exclude_flags alerts no one",
)
_AMBULANCE = Field(
    default=None,
    strict=True,
    ge=0,
    le=86_400,
    description="Seconds until the ambulance crew is expected on scene, as the CAD estimates it now",
)
_EASTING = Field(
    default=None,
    strict=True,
    ge=0,
    le=grid.MAX_EASTING,
    description="British National Grid (EPSG:27700) easting in metres, with `northing`, instead of `lat`/`lon`",
)
_NORTHING = Field(
    default=None,
    strict=True,
    ge=0,
    le=grid.MAX_NORTHING,
    description="British National Grid (EPSG:27700) northing in metres, with `easting`, instead of `lat`/`lon`",
)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(text: Any) -> float:
    """A time with its offset, as RFC 3339 writes it, as seconds since the epoch."""
    if not isinstance(text, str) or not _RFC3339.fullmatch(text):
        raise ValueError("must be an RFC 3339 time with its offset, e.g. 2026-03-01T10:15:00Z")
    seconds, _, fraction = text.upper().replace(" ", "T").replace("Z", "+00:00").partition(".")
    offset = ""
    if fraction:
        digits = fraction[: len(fraction) - 6]
        offset = fraction[len(digits) :]
        seconds = seconds + "." + digits[:6].ljust(6, "0")
    try:
        return datetime.fromisoformat(seconds + offset).timestamp()
    except ValueError as exc:  # a well-formed string naming no real time (a 31st of February)
        raise ValueError(f"not a real time: {exc}") from exc


# A string in, seconds since the epoch out.
Rfc3339Time = Annotated[float, PlainValidator(_rfc3339), WithJsonSchema({"type": "string", "format": "date-time"})]
COORDINATE_PAIR = "coordinate_pair"  # its `ctx.loc` names the field to blame, as alerting.api.problems reads it


def _pair_problem(values: dict[str, Any], *, required: bool) -> tuple[str, str] | None:
    """(field, message) when the point is not one whole pair, lat/lon or easting/northing. A change
    (`required` false) may move lat or lon alone, but half a grid reference is no point at all."""
    wgs = [k for k in ("lat", "lon") if values.get(k) is not None]
    bng = [k for k in ("easting", "northing") if values.get(k) is not None]
    if wgs and bng:
        return bng[0], "give the point either as lat and lon or as easting and northing, not both"
    pairs = (("easting", "northing"), ("northing", "easting")) + ((("lat", "lon"), ("lon", "lat")) if required else ())
    for given, other in pairs:
        if given in wgs + bng and other not in wgs + bng:
            return other, f"required with {given}"
    if required and not wgs and not bng:
        return "lat", "the point is required: lat and lon (WGS84), or easting and northing (EPSG:27700)"
    return None


def field_error(error: Any) -> dict[str, str]:
    """A validation error as `{loc, msg}`, blaming the coordinate a pair check names."""
    if error["type"] == COORDINATE_PAIR:
        return {"loc": error["ctx"]["loc"], "msg": error["ctx"]["msg"]}
    return {"loc": ".".join(str(p) for p in error["loc"]) or "body", "msg": error["msg"]}


def first_field(error: Any) -> tuple[str, str]:
    """(the top-level field, the message) of a validation error, for a mapping to name its source."""
    if error["type"] == COORDINATE_PAIR:
        return error["ctx"]["loc"], error["ctx"]["msg"]
    return (str(error["loc"][0]) if error["loc"] else "body"), error["msg"]


def _on_grid(model: Any, *, required: bool) -> Any:
    """Check the pair, then turn a National Grid point into lat/lon so everything after sees WGS84."""
    if problem := _pair_problem(model.__dict__, required=required):
        raise PydanticCustomError(COORDINATE_PAIR, "{loc}: {msg}", {"loc": problem[0], "msg": problem[1]})
    if model.easting is not None:
        try:
            model.lat, model.lon = grid.to_wgs84(model.easting, model.northing)
        except grid.GridError as exc:
            raise PydanticCustomError(
                COORDINATE_PAIR, "{loc}: {msg}", {"loc": "easting,northing", "msg": str(exc)}
            ) from exc
    return model


class IncidentIn(Document):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    cad_ref: str = Field(
        min_length=1,
        max_length=128,
        pattern=SOME_TEXT_TRIMMED,
        description="The CAD's own reference; the idempotency key (surrounding spaces are dropped)",
    )
    lat: float | None = Field(default=None, strict=True, ge=-90, le=90, description="WGS84, with `lon`")
    lon: float | None = Field(default=None, strict=True, ge=-180, le=180, description="WGS84, with `lat`")
    easting: float | None = _EASTING
    northing: float | None = _NORTHING
    category: str = Field(
        min_length=1, max_length=32, pattern=SOME_TEXT_TRIMMED, description="MPDS/AMPDS code, e.g. 09-E-01"
    )
    location_type: Literal["public", "private", "unknown"] = "unknown"
    address: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)
    callback_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://[^\x00]*$")
    flags: list[IncidentFlag] | None = _FLAGS
    ambulance_eta_s: float | None = _AMBULANCE

    @model_validator(mode="after")
    def _point(self) -> IncidentIn:
        return _on_grid(self, required=True)

    def report(self) -> IncidentReport:
        fields = self.model_dump(exclude={"easting", "northing"})
        return IncidentReport(**{**fields, "flags": tuple(fields["flags"] or ())})


class IncidentPatch(Document):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    cad_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=SOME_TEXT_TRIMMED,
        description="Adopts an alert an alerter raised (`source` `alerter`) as the CAD's own incident under "
        "this reference: one incident, and a later POST with this cad_ref answers with it. Once only; an alert "
        "awaiting confirmation is confirmed by it. On any other incident: 409",
    )

    lat: float | None = Field(default=None, strict=True, ge=-90, le=90)
    lon: float | None = Field(default=None, strict=True, ge=-180, le=180)
    easting: float | None = _EASTING
    northing: float | None = _NORTHING
    category: str | None = Field(default=None, min_length=1, max_length=32, pattern=SOME_TEXT_TRIMMED)
    address: str | None = Field(
        default=None, max_length=500, description="Where to go, in words; an alert re-sent for a move carries it"
    )
    notes: str | None = Field(default=None, max_length=2000)
    flags: list[IncidentFlag] | None = Field(
        default=None,
        max_length=len(IncidentFlag),
        description="The whole set of flags now (an empty list clears them); an excluded one stands everyone down",
    )
    ambulance_eta_s: float | None = _AMBULANCE
    outcome: Outcome | None = Field(
        default=None, description="What became of the patient; accepted after the incident has ended too"
    )
    ambulance_arrived_at: Rfc3339Time | None = Field(
        default=None,
        description="When the crew reached the scene (RFC 3339); not in the future; accepted after the end too",
    )

    @model_validator(mode="after")
    def _point(self) -> IncidentPatch:
        return _on_grid(self, required=False)

    def changes(self) -> dict[str, Any]:
        """What the CAD set, with a National Grid point given as the lat/lon it converts to."""
        return self.model_dump(exclude_unset=True, exclude_none=True, exclude={"easting", "northing"}) | (
            {"lat": self.lat, "lon": self.lon} if self.easting is not None else {}
        )


class CancelIn(Document):
    reason: str = Field(default="cancelled by CAD", max_length=500)
