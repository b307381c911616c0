"""The native JSON incident payload of the CAD API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alerting.domain.report import IncidentReport


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

    def report(self) -> IncidentReport:
        return IncidentReport(**self.model_dump())


class IncidentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    lat: float | None = Field(default=None, strict=True, ge=-90, le=90)
    lon: float | None = Field(default=None, strict=True, ge=-180, le=180)
    category: str | None = Field(default=None, min_length=1, max_length=32)
    notes: str | None = Field(default=None, max_length=2000)


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="cancelled by CAD", max_length=500)
