"""Request bodies of the admin and responder API. Types and ranges here; rules in the domain.

The policy document is the domain's own (`alerting.domain.policy_document`), re-exported here.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

import langcodes
from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from alerting.domain.documents import EMAIL, Area, Day, Document, Flag
from alerting.domain.policy_document import PhaseIn, PolicyIn, ZoneIn
from alerting.domain.vocabulary import PushKind, SceneStatus

__all__ = [
    "ApnsSubscriptionIn",
    "AvailabilityIn",
    "FcmSubscriptionIn",
    "GroupIn",
    "LocationIn",
    "PhaseIn",
    "PolicyIn",
    "PushKeys",
    "PushSubscriptionIn",
    "QuietHours",
    "ResponderIn",
    "ResponderPatch",
    "Number",
    "Strict",
    "TrustCreated",
    "TrustIn",
    "WebPushSubscriptionIn",
    "ZoneIn",
]

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# Text a person reads and the database stores: no control characters (a NUL above all, which
# PostgreSQL cannot store); a name may keep the line breaks and tabs a spreadsheet put in it.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
GroupId = Annotated[str, Id]
# A kind of credential ("dbs", "first-aid"), as uploads name it.
CredentialKind = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
Skill = Annotated[str, Field(min_length=1, max_length=100, pattern=PRINTABLE)]


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone_names(schema: dict[str, Any]) -> None:
    schema["enum"] = sorted(_zones())


def _iana_zone(name: str) -> str:
    """Quiet hours are read in this zone at every incident: an unknown name is refused here."""
    if name not in _zones():
        raise ValueError(f"{name!r} is not an IANA time zone name (for example Europe/London)")
    return name


def Number(default: Any = ..., **kw: Any) -> Any:
    """A number in a request: strict, so JSON `true` is not read as 1 (or `false` as 0)."""
    return Field(default, strict=True, allow_inf_nan=False, **kw)


def _bcp47(tag: str) -> str:
    if not langcodes.tag_is_valid(tag):
        raise ValueError("must be a BCP 47 language tag such as 'en-GB' or 'cy'")
    return langcodes.standardize_tag(tag)


Language = Annotated[str, Field(min_length=2, max_length=35), AfterValidator(_bcp47)]
TravelMode = Literal["foot", "bike", "car"]


class Strict(Document):
    """A request body: see alerting/domain/documents.py."""


class TrustIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    area: Area = Field(description="GeoJSON Polygon or MultiPolygon of the trust's service area")


class TrustCreated(BaseModel):
    id: str
    name: str
    admin_key: str = Field(description="Shown once; stored hashed")
    cad_key: str = Field(description="Shown once; stored hashed")


class GroupIn(Strict):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)
    trusted: Flag = False
    private_locations: Flag | None = Field(
        default=None, description="May be sent into private homes; defaults to `trusted`"
    )


class QuietHours(Strict):
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    tz: Annotated[str, AfterValidator(_iana_zone)] = Field(
        default="Europe/London",
        max_length=64,
        description="An IANA time zone name",
        json_schema_extra=_zone_names,
    )


HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class DutyWindow(Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        min_length=1, max_length=7, description="The days the window starts on"
    )
    start: str = Field(pattern=HHMM, description="HH:MM local time")
    end: str = Field(pattern=HHMM, description="HH:MM; earlier than start runs past midnight; equal is all day")


class OnDutyHours(Strict):
    """Recurring hours when the on-duty switch alerts the responder; outside them they are not alerted."""

    tz: Annotated[str, AfterValidator(_iana_zone)] = Field(
        default="Europe/London", max_length=64, description="An IANA time zone name"
    )
    windows: list[DutyWindow] = Field(min_length=1, max_length=14)


class ResponderIn(Strict):
    id: str = Id
    name: str = Field(min_length=1, max_length=200, pattern=TEXT)
    groups: list[GroupId] = Field(min_length=1, max_length=20)
    skills: list[Skill] = Field(default_factory=list, max_length=50)
    quiet_hours: QuietHours | None = None


class ResponderPatch(Strict):
    """Fields left out stay as they are, and so do `name`, `groups`, `skills` and `status` sent as
    null; null clears `quiet_hours`, `travel_mode`, `carries_aed` and `language`."""

    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=TEXT)
    groups: list[GroupId] | None = Field(default=None, min_length=1, max_length=20)
    skills: list[Skill] | None = Field(default=None, max_length=50)
    status: Literal["active", "suspended"] | None = None
    quiet_hours: QuietHours | None = None
    travel_mode: TravelMode | None = Field(default=None, description="How they travel: sets the speed of their ETA")
    carries_aed: Flag | None = Field(
        default=None, description="Carries their own defibrillator (never sent to fetch one)"
    )
    language: Language | None = Field(default=None, description="BCP 47 tag; the client's language")
    on_duty_hours: OnDutyHours | None = Field(
        default=None, description="Recurring hours when they may be alerted; null: whenever on duty"
    )

    def changes(self) -> dict[str, Any]:
        """The fields sent. Null clears what may be empty (quiet hours, profile fields) and leaves the
        rest (name, groups, skills, status) as they are, as every other PATCH does."""
        sent = self.model_dump(exclude_unset=True)
        return {k: v for k, v in sent.items() if v is not None or k not in _KEPT_ON_NULL}


_KEPT_ON_NULL = frozenset({"name", "groups", "skills", "status"})


class ProfilePatch(Strict):
    """What a responder may change about themselves (`PATCH /v1/me`)."""

    travel_mode: TravelMode | None = None
    carries_aed: Flag | None = None
    language: Language | None = None
    on_duty_hours: OnDutyHours | None = Field(
        default=None, description="Recurring hours when they may be alerted; null: whenever on duty"
    )


class LocationIn(Strict):
    lat: float = Number(ge=-90, le=90)
    lon: float = Number(ge=-180, le=180)
    accuracy_m: float | None = Number(None, ge=0, le=100_000)


class AvailabilityIn(Strict):
    available: Flag


class StatusIn(Strict):
    status: SceneStatus = Field(description="on_scene, with_patient, aed_collected or cpr_started")


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


class WebPushSubscriptionIn(BaseModel):
    """A browser's `PushSubscription.toJSON()`, as it is (`kind` may be left out); other fields
    (expirationTime) are ignored."""

    model_config = ConfigDict(extra="ignore")
    kind: Literal["webpush"] = "webpush"
    endpoint: str = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\x00-\x20\x7f]+$")
    keys: PushKeys

    def device(self) -> tuple[PushKind, str, dict[str, Any]]:
        """(kind, what names the device, the target its provider sends to)."""
        return PushKind.WEBPUSH, self.endpoint, {"endpoint": self.endpoint, "keys": self.keys.model_dump()}


class FcmSubscriptionIn(Strict):
    """An Android app's Firebase Cloud Messaging registration token."""

    kind: Literal["fcm"]
    token: str = Field(min_length=20, max_length=4096, pattern=r"^[A-Za-z0-9_:.-]+$")

    def device(self) -> tuple[PushKind, str, dict[str, Any]]:
        return PushKind.FCM, self.token, {"token": self.token}


class ApnsSubscriptionIn(Strict):
    """An iOS app's APNs device token (hex) and its topic (the app's bundle id)."""

    kind: Literal["apns"]
    device_token: str = Field(min_length=64, max_length=200, pattern=r"^[0-9A-Fa-f]+$")
    topic: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9._-]+$")

    def device(self) -> tuple[PushKind, str, dict[str, Any]]:
        token = self.device_token.lower()
        return PushKind.APNS, token, {"device_token": token, "topic": self.topic}


def _push_kind(value: Any) -> str:
    """A body without `kind` is a browser's subscription, as before kinds existed."""
    if isinstance(value, dict):
        kind = value.get("kind", PushKind.WEBPUSH)
        return kind if isinstance(kind, str) else ""
    return str(getattr(value, "kind", PushKind.WEBPUSH))


PushSubscriptionIn = Annotated[
    Annotated[WebPushSubscriptionIn, Tag(PushKind.WEBPUSH)]
    | Annotated[FcmSubscriptionIn, Tag(PushKind.FCM)]
    | Annotated[ApnsSubscriptionIn, Tag(PushKind.APNS)],
    Discriminator(_push_kind),
]


class InviteCreated(BaseModel):
    invite_url: str = Field(description="Opens the responder client, which redeems the code in the link's fragment")
    code: str = Field(description="Single use; shown once, stored hashed")
    expires_at: str
    qr_svg: str = Field(description="The invite URL as a QR code: an SVG `data:` URI for an <img src>")


class RedeemIn(Strict):
    code: str = Field(min_length=8, max_length=128)
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=TEXT,
        description="Joining from a trust's open alerter link only: the name the trust sees (else `Alerter`)",
    )


class RegistrationSettingsIn(Strict):
    open: Flag
    groups: list[GroupId] = Field(default_factory=list, max_length=20, description="Groups approved volunteers join")
    required_credentials: list[CredentialKind] = Field(
        default_factory=list,
        max_length=20,
        description="Credential kinds every responder of the trust must hold, verified and unexpired, to be alerted",
    )


class RegistrationIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[0-9 ()\-]{6,40}$")


class ApproveIn(Strict):
    groups: list[GroupId] | None = Field(
        default=None, min_length=1, max_length=20, description="Defaults to the registration settings' groups"
    )
    responder_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
    )


class RefuseIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class VerifyIn(Strict):
    expires_on: Day | None = Field(default=None, description="The expiry printed on the certificate, if it differs")
