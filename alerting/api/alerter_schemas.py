"""Request bodies of the alerter routes (alerting/api/alerters.py): strict, like every request."""

from __future__ import annotations

from pydantic import Field

from alerting.api.schemas import TEXT, Id, Number, Strict
from alerting.domain.documents import Flag

__all__ = ["AlerterCreate", "AlerterPatch", "RaiseIn", "TrustPatch"]


class AlerterCreate(Strict):
    id: str = Id
    name: str = Field(min_length=1, max_length=200, pattern=TEXT)


class AlerterPatch(Strict):
    suspended: Flag = Field(description="true suspends the alerter (raises refused with 403); false reinstates them")


class RaiseIn(Strict):
    lat: float = Number(ge=-90, le=90)
    lon: float = Number(ge=-180, le=180)
    accuracy_m: float | None = Number(None, ge=0, le=100_000, description="How precise the phone's position is")
    notes: str | None = Field(default=None, max_length=500, pattern=TEXT, description="What the alerter sees")


class TrustPatch(Strict):
    alerter_callback_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^https?://[^\x00]*$",
        description="Where `incident.raised` (and every later event of a raised alert) is sent, signed with the "
        "CAD key; null stops it. Left out: unchanged",
    )
