"""Client-to-server messages of the responder socket, parsed strictly into one tagged union."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from alerting.domain.vocabulary import DeclineReason, ErrorCode, SceneStatus


class _Msg(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class Auth(_Msg):
    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=512)


class Location(_Msg):
    type: Literal["location"]
    lat: float = Field(strict=True, ge=-90, le=90)
    lon: float = Field(strict=True, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, strict=True, ge=0, le=100_000)


class Availability(_Msg):
    type: Literal["availability"]
    available: bool


class AboutAlert(_Msg):
    """A message about one of the responder's alerts: errors in answer to it name the alert."""

    # Alert ids are printable; a control character (a NUL above all, which the database refuses to
    # store or compare) is the client's mistake, answered as such rather than as a passing outage.
    alert_id: str = Field(min_length=1, max_length=64)

    @field_validator("alert_id")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ValueError("an alert id has no control characters")
        return value


class AlertAction(AboutAlert):
    type: Literal["accept", "arrived", "ack"]


class Decline(AboutAlert):
    """A decline, with the one-tap reason when the responder gave one."""

    type: Literal["decline"]
    reason: DeclineReason | None = None


class Status(AboutAlert):
    """A status from the scene (only an assigned responder's counts)."""

    type: Literal["status"]
    status: SceneStatus


def words(value: str) -> str:
    """A message's text, trimmed: line breaks and tabs are words' business, other control characters are not."""
    text = value.strip()
    if not text:
        raise ValueError("write the message")
    if any((ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7F for c in text):
        raise ValueError("a message has no control characters")
    return text


class Message(AboutAlert):
    """A responder's words to the control room about their alert."""

    type: Literal["message"]
    text: str = Field(min_length=1, max_length=1000)

    @field_validator("text")
    @classmethod
    def _words(cls, value: str) -> str:
        return words(value)


class Ping(_Msg):
    type: Literal["ping"]


ClientMessage = Annotated[
    Auth | Location | Availability | AlertAction | Decline | Status | Message | Ping, Field(discriminator="type")
]
_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
_T = TypeVar("_T")


class ProtocolError(ValueError):
    def __init__(self, code: ErrorCode, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def parse(text: str | bytes) -> Auth | Location | Availability | AlertAction | Decline | Status | Message | Ping:
    """Never raises anything but ProtocolError, whatever the bytes."""
    return parse_with(_adapter, text)


def parse_with(adapter: TypeAdapter[_T], text: str | bytes) -> _T:
    """`adapter`'s message from `text`; never raises anything but ProtocolError, whatever the bytes."""
    try:
        return adapter.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        code = (
            ErrorCode.UNKNOWN_TYPE
            if first.get("type") in ("union_tag_invalid", "union_tag_not_found")
            else ErrorCode.INVALID_MESSAGE
        )
        if first.get("type") == "json_invalid":
            code = ErrorCode.INVALID_JSON
        raise ProtocolError(code, f"{where}: {first.get('msg')}" if where else str(first.get("msg"))) from None
