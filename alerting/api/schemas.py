"""Request bodies of the admin and responder API. Types and ranges here; rules in the domain."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TrustIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    area: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon of the trust's service area")


class TrustCreated(BaseModel):
    id: str
    name: str
    admin_key: str = Field(description="Shown once; stored hashed")
    cad_key: str = Field(description="Shown once; stored hashed")


class GroupIn(Strict):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)
    trusted: bool = False
    private_locations: bool | None = Field(
        default=None, description="May be sent into private homes; defaults to `trusted`"
    )


class QuietHours(Strict):
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    tz: str = Field(default="Europe/London", max_length=64)


class ResponderIn(Strict):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)
    groups: list[str] = Field(min_length=1, max_length=20)
    skills: list[str] = Field(default_factory=list, max_length=50)
    quiet_hours: QuietHours | None = None


class ResponderPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    groups: list[str] | None = Field(default=None, min_length=1, max_length=20)
    skills: list[str] | None = Field(default=None, max_length=50)
    status: Literal["active", "suspended"] | None = None
    quiet_hours: QuietHours | None = None


class PhaseIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    groups: list[str] = Field(min_length=1, max_length=20)
    radius_m: float = Field(description="10 to 20,000 m")
    delay_s: float = 0
    max_alerts: int | None = Field(default=None, description="Alert at most this many, nearest first")


class ZoneIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    area: dict[str, Any]
    phases: list[PhaseIn] = Field(max_length=20)
    accept_limit: int | None = None


class PolicyIn(Strict):
    phases: list[PhaseIn] = Field(max_length=20)
    accept_limit: int = 2
    alert_ttl_s: float = 600
    categories: list[str] = Field(default_factory=lambda: ["*"], max_length=200)
    location_max_age_s: float = 900
    zones: list[ZoneIn] = Field(default_factory=list, max_length=1000)
    max_alerts_per_hour: int | None = Field(default=None, description="Fatigue limit per responder; absent = off")
    ack_timeout_s: float = Field(default=5, description="Unacknowledged alerts also go out by push after this")


class LocationIn(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)


class AvailabilityIn(Strict):
    available: bool


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: str = Field(
        min_length=80,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+={0,2}$",
        description="The client's P-256 public key, base64url (RFC 8291)",
    )
    auth: str = Field(
        min_length=16,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+={0,2}$",
        description="The 16-byte authentication secret, base64url",
    )


class PushSubscriptionIn(BaseModel):
    """A browser's `PushSubscription.toJSON()`; other fields (expirationTime) are ignored."""

    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\x00-\x20\x7f]+$")
    keys: PushKeys
