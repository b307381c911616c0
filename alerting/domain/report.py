"""The clean incident report every intake (native JSON, EIDO, CAP) is mapped onto."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LocationType = Literal["public", "private", "unknown"]


@dataclass(frozen=True, slots=True)
class IncidentReport:
    cad_ref: str
    lat: float
    lon: float
    category: str
    location_type: LocationType = "unknown"
    address: str | None = None
    notes: str | None = None
    callback_url: str | None = None
    flags: tuple[str, ...] = ()  # `vocabulary.IncidentFlag` values
    ambulance_eta_s: float | None = None  # seconds until the crew is expected, when the CAD knows
