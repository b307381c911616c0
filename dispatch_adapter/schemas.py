"""The native JSON incident payload of the CAD API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alerting.domain.report import IncidentReport
from alerting.domain.vocabulary import IncidentFlag

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


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    cad_ref: str = Field(min_length=1, max_length=128, description="The CAD's own reference; the idempotency key")
    lat: float = Field(strict=True, ge=-90, le=90)
    lon: float = Field(strict=True, ge=-180, le=180)
    category: str = Field(min_length=1, max_length=32, description="MPDS/AMPDS code, e.g. 09-E-01")
    location_type: Literal["public", "private", "unknown"] = "unknown"
    address: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)
    callback_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    flags: list[IncidentFlag] | None = _FLAGS
    ambulance_eta_s: float | None = _AMBULANCE

    def report(self) -> IncidentReport:
        fields = self.model_dump()
        return IncidentReport(**{**fields, "flags": tuple(fields["flags"] or ())})


class IncidentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    lat: float | None = Field(default=None, strict=True, ge=-90, le=90)
    lon: float | None = Field(default=None, strict=True, ge=-180, le=180)
    category: str | None = Field(default=None, min_length=1, max_length=32)
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


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="cancelled by CAD", max_length=500)
